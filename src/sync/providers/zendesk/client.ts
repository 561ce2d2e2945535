/** JSON over the engine's fetch against one Zendesk account, with API token auth. */

import { apiBase, basicAuthorization, emailTokenCredential, JsonApiClient } from '../json-api-client.ts';
import type { ProviderContext } from '../provider.ts';
import { readZendeskError } from './errors.ts';

/** Paths resolve under `https://<subdomain>.zendesk.com/api/v2/` (or `api_base_url`). */
export type ZendeskClient = JsonApiClient;

export const ZendeskClient = {
  connect({ credential, fetch }: ProviderContext): ZendeskClient {
    const { email, apiToken, siteUrl } = emailTokenCredential(credential, {
      product: 'Zendesk',
      email: 'the agent the API token belongs to',
      site: 'https://<subdomain>.zendesk.com',
    });
    // Zendesk's documented API token form: HTTP Basic with `{email}/token` as the user name.
    return new JsonApiClient(fetch, apiBase(siteUrl, 'api/v2/'), { authorization: basicAuthorization(`${email}/token`, apiToken) }, readZendeskError);
  },
};
