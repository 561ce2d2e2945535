/** JSON over the engine's fetch against one Zendesk account, with API token or OAuth auth. */

import { bearerFetch } from '../../oauth/bearer-fetch.ts';
import { apiBase, basicAuthorization, emailTokenCredential, JsonApiClient } from '../json-api-client.ts';
import { UpstreamAuthError, type ProviderContext } from '../provider.ts';
import { readZendeskError } from './errors.ts';

/**
 * The Support API version, in its paths: v2, the only one Zendesk serves. No description of it is
 * on npm (docs/providers/zendesk.md: what was searched, how a change is checked).
 */
export const ZENDESK_API_PATH = 'api/v2/';

/** Paths resolve under `https://<subdomain>.zendesk.com/api/v2/` (or `api_base_url`). */
export type ZendeskClient = JsonApiClient;

export const ZendeskClient = {
  connect(context: ProviderContext): ZendeskClient {
    const { credential, fetch } = context;
    if (credential.kind === 'zendesk_oauth2') {
      // OAuth: `Authorization: Bearer` with the access token the engine keeps fresh (refresh on 401).
      if (!credential.apiBaseUrl) throw new UpstreamAuthError('the credential has no api_base_url (https://<subdomain>.zendesk.com)', 401);
      const oauth = context.oauth;
      const authorized: typeof globalThis.fetch = oauth
        ? bearerFetch(fetch, oauth)
        : () => Promise.reject(new UpstreamAuthError('the engine handed no OAuth token source for this zendesk_oauth2 credential', 401));
      return new JsonApiClient(authorized, apiBase(credential.apiBaseUrl, ZENDESK_API_PATH), {}, readZendeskError);
    }
    const { email, apiToken, siteUrl } = emailTokenCredential(credential, {
      product: 'Zendesk',
      email: 'the agent the API token belongs to',
      site: 'https://<subdomain>.zendesk.com',
    });
    // Zendesk's documented API token form: HTTP Basic with `{email}/token` as the user name.
    return new JsonApiClient(fetch, apiBase(siteUrl, ZENDESK_API_PATH), { authorization: basicAuthorization(`${email}/token`, apiToken) }, readZendeskError);
  },
};
