/**
 * JSON over the engine's fetch against one Jira Cloud site's REST v3 API: HTTP Basic
 * `email:api_token` at the site (`jira`), or an OAuth 2.0 (3LO) Bearer token through Atlassian's
 * gateway `api.atlassian.com/ex/jira/{cloudId}/rest/api/3/` (`jira_oauth2`).
 */

import { bearerFetch } from '../../oauth/bearer-fetch.ts';
import { apiBase, basicAuthorization, emailTokenCredential, JsonApiClient } from '../json-api-client.ts';
import { UpstreamAuthError, type ProviderContext } from '../provider.ts';
import { readJiraError } from './errors.ts';
import { ATLASSIAN_API_BASE_URL, resolveCloudSite } from './oauth.ts';

/**
 * The platform REST API version, in its paths: v3, the version of Atlassian's Jira Cloud OpenAPI
 * description the conformance suite checks against. docs/providers/jira.md says how a bump is checked.
 */
export const JIRA_API_PATH = 'rest/api/3/';

/** Paths resolve under `https://<site>.atlassian.net/rest/api/3/` (or `api_base_url`), or the gateway's `/ex/jira/{cloudId}/rest/api/3/`. */
export type JiraClient = JsonApiClient;

/** Stands for the cloud id in URLs until it is known (resolved on the first request). */
const PENDING_CLOUD = '~cloud~';

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

export const JiraClient = {
  connect(context: ProviderContext): JiraClient {
    if (context.credential.kind === 'jira_oauth2') return oauthClient(context);
    const { email, apiToken, siteUrl } = emailTokenCredential(context.credential, {
      product: 'Jira',
      email: 'the Atlassian account of the API token',
      site: 'https://<site>.atlassian.net',
    });
    return new JsonApiClient(context.fetch, apiBase(siteUrl, JIRA_API_PATH), { authorization: basicAuthorization(email, apiToken) }, readJiraError);
  },
};

/**
 * `jira_oauth2`: the engine's OAuth tokens as Bearer (refreshed on 401). The cloud id comes from
 * the tokens' metadata (`cloud_id`, stored by the connect flow), else from accessible-resources
 * (the site of `metadata.site_url`, else the first), once per session.
 */
function oauthClient({ credential, fetch, oauth }: ProviderContext): JiraClient {
  const gateway = (credential.apiBaseUrl ?? ATLASSIAN_API_BASE_URL).replace(/\/+$/, '');
  const readError = readJiraError;
  if (!oauth) {
    const refuse: typeof globalThis.fetch = () => Promise.reject(new UpstreamAuthError('the engine handed no OAuth token source for this jira_oauth2 credential', 401));
    return new JsonApiClient(refuse, apiBase(gateway, `ex/jira/${PENDING_CLOUD}/${JIRA_API_PATH}`), {}, readError);
  }
  const authorized = bearerFetch(fetch, oauth);
  let cloudId: Promise<string> | null = null;
  const resolveCloudId = (): Promise<string> => {
    cloudId ??= (async () => {
      const tokens = await oauth.current();
      const known = text(tokens.metadata.cloud_id) ?? text(credential.metadata.cloud_id);
      if (known) return known;
      const siteUrl = text(tokens.metadata.site_url) ?? text(credential.metadata.site_url);
      return (await resolveCloudSite(authorized, credential.apiBaseUrl, siteUrl)).id;
    })().catch((error: unknown) => {
      cloudId = null;
      throw error;
    });
    return cloudId;
  };
  const pendingPrefix = `${gateway}/ex/jira/${PENDING_CLOUD}/`;
  const routed: typeof globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (!url.startsWith(pendingPrefix)) return authorized(input, init);
    const id = await resolveCloudId();
    return authorized(`${gateway}/ex/jira/${encodeURIComponent(id)}/${url.slice(pendingPrefix.length)}`, init);
  };
  return new JsonApiClient(routed, apiBase(gateway, `ex/jira/${PENDING_CLOUD}/${JIRA_API_PATH}`), {}, readError);
}
