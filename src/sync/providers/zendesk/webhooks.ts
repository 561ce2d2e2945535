/** Zendesk's webhooks (issue 24; docs/providers/zendesk.md, "Webhooks"). */

import type { ProviderWebhooks } from '../provider.ts';
import { parseZendeskWebhook } from './webhook-events.ts';
import { registerZendeskWebhooks, unregisterZendeskWebhooks } from './webhook-registration.ts';
import { verifyZendeskSignature } from './webhook-signature.ts';

export const zendeskWebhooks: ProviderWebhooks = {
  verify: verifyZendeskSignature,
  parse: parseZendeskWebhook,
  register: registerZendeskWebhooks,
  unregister: unregisterZendeskWebhooks,
};
