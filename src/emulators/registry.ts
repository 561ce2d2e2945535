import { githubEmulatorDescriptor } from './github/index.ts';
import { hubspotEmulatorDescriptor } from './hubspot/index.ts';
import { jiraEmulatorDescriptor } from './jira/index.ts';
import type { EmulatorDescriptor } from './kit/provider-emulator.ts';
import { salesforceEmulatorDescriptor } from './salesforce/index.ts';
import { shopifyEmulatorDescriptor } from './shopify/index.ts';
import { stripeEmulator } from './stripe/descriptor.ts';
import { zendeskEmulatorDescriptor } from './zendesk/index.ts';

/** Every emulator `npm run emulate -- <provider>` can start; add new ones here. */
export const emulators: readonly EmulatorDescriptor[] = [stripeEmulator, zendeskEmulatorDescriptor, shopifyEmulatorDescriptor, githubEmulatorDescriptor, hubspotEmulatorDescriptor, salesforceEmulatorDescriptor, jiraEmulatorDescriptor];
