import { UnprocessableError } from '../../errors.ts';
import { githubProvider } from './github/index.ts';
import { hubspotProvider } from './hubspot/index.ts';
import { jiraProvider } from './jira/index.ts';
import type { Provider } from './provider.ts';
import { shopifyProvider } from './shopify/index.ts';
import { salesforceProvider } from './salesforce/index.ts';
import { stripeProvider } from './stripe/index.ts';
import { zendeskProvider } from './zendesk/index.ts';

/** Every provider Syncline can sync; add new ones here. */
export const providers: readonly Provider[] = [stripeProvider, shopifyProvider, hubspotProvider, salesforceProvider, githubProvider, zendeskProvider, jiraProvider];

const byName = new Map(providers.map((p) => [p.name, p]));

export function findProvider(name: string): Provider | undefined {
  return byName.get(name);
}

export function requireProvider(name: string): Provider {
  const provider = byName.get(name);
  if (!provider) {
    throw new UnprocessableError('unknown_provider', `unknown provider "${name}"`, [
      { path: 'provider', message: `one of: ${providers.map((p) => p.name).join(', ')}` },
    ]);
  }
  return provider;
}
