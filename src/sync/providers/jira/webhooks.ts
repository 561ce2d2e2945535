/**
 * Jira's webhooks (issue 24; docs/providers/jira.md "Webhooks"): admin webhooks signed with
 * `X-Hub-Signature` for API-token credentials, dynamic webhooks with a client-secret JWT for
 * OAuth 2.0 apps; each delivery names the issue, project or user to read again.
 */

import type { ProviderWebhooks } from '../provider.ts';
import { parseJiraWebhook } from './webhook-events.ts';
import { registerJiraWebhooks, unregisterJiraWebhooks } from './webhook-registration.ts';
import { verifyJiraWebhook } from './webhook-signature.ts';

export const jiraWebhooks: ProviderWebhooks = {
  verify: verifyJiraWebhook,
  parse: parseJiraWebhook,
  register: registerJiraWebhooks,
  unregister: unregisterJiraWebhooks,
  // Dynamic webhooks of an OAuth 2.0 app are signed with the app's client secret.
  credentialSecret: (credential) => (credential.kind === 'jira_oauth2' ? (credential.oauthApp?.clientSecret ?? null) : null),
};
