/** JSON over the engine's fetch against one Jira Cloud site's REST v3 API, with HTTP Basic `email:api_token`. */

import { apiBase, basicAuthorization, emailTokenCredential, JsonApiClient } from '../json-api-client.ts';
import type { ProviderContext } from '../provider.ts';
import { readJiraError } from './errors.ts';

/** Paths resolve under `https://<site>.atlassian.net/rest/api/3/` (or `api_base_url`). */
export type JiraClient = JsonApiClient;

export const JiraClient = {
  connect({ credential, fetch }: ProviderContext): JiraClient {
    const { email, apiToken, siteUrl } = emailTokenCredential(credential, {
      product: 'Jira',
      email: 'the Atlassian account of the API token',
      site: 'https://<site>.atlassian.net',
    });
    return new JsonApiClient(fetch, apiBase(siteUrl, 'rest/api/3/'), { authorization: basicAuthorization(email, apiToken) }, readJiraError);
  },
};
