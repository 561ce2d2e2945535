/**
 * Atlassian's OAuth 2.0 (3LO) for Jira Cloud (`jira_oauth2`): consent at
 * `auth.atlassian.com/authorize`, JSON grants at `POST auth.atlassian.com/oauth/token` (refresh
 * tokens rotate: every refresh answers a new one), and the sites a grant reaches at
 * `GET api.atlassian.com/oauth/token/accessible-resources`. A credential's `api_base_url`
 * replaces both hosts (an emulator serves both).
 */

import { requestTokenSet } from '../../oauth/token-request.ts';
import { requestJson, type ErrorReader } from '../http-json.ts';
import { UpstreamAuthError, type OAuthTokenSet, type ProviderOAuth } from '../provider.ts';

export const ATLASSIAN_AUTH_BASE_URL = 'https://auth.atlassian.com';
export const ATLASSIAN_API_BASE_URL = 'https://api.atlassian.com';

const trimBase = (url: string) => url.replace(/\/+$/, '');

/** Atlassian's token-endpoint errors: `{"error": "invalid_grant", "error_description": "…"}`. */
export const readAtlassianOAuthError: ErrorReader = (status, body) => {
  const object = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (key: string) => (typeof object[key] === 'string' && object[key] !== '' ? (object[key] as string) : undefined);
  const message = text('error_description') ?? text('message') ?? `HTTP ${status}`;
  return { message, code: text('error') ?? `http_${status}` };
};

export interface AccessibleResource {
  id: string;
  url: string;
  name: string | null;
}

const sameSite = (a: string, b: string) => trimBase(a).toLowerCase() === trimBase(b).toLowerCase();

/**
 * The Atlassian sites (cloud ids) the grant reaches; `fetch` must send the Bearer token. Throws
 * UpstreamAuthError when none is reachable (or not the one of `siteUrl`).
 */
export async function resolveCloudSite(fetch: typeof globalThis.fetch, apiBaseUrl: string | null, siteUrl: string | null): Promise<AccessibleResource> {
  const answer = await requestJson<unknown>(fetch, { url: `${trimBase(apiBaseUrl ?? ATLASSIAN_API_BASE_URL)}/oauth/token/accessible-resources` }, readAtlassianOAuthError);
  const resources: AccessibleResource[] = (Array.isArray(answer.body) ? answer.body : [])
    .filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && typeof (r as Record<string, unknown>).id === 'string')
    .map((r) => ({ id: r.id as string, url: typeof r.url === 'string' ? r.url : '', name: typeof r.name === 'string' ? r.name : null }));
  const picked = siteUrl ? resources.find((r) => sameSite(r.url, siteUrl)) : resources[0];
  if (!picked) {
    throw new UpstreamAuthError(siteUrl ? `the OAuth grant does not reach the Jira site ${siteUrl} (accessible: ${resources.map((r) => r.url).join(', ') || 'none'})` : 'the OAuth grant reaches no Jira site', 403);
  }
  return picked;
}

export const jiraOAuth: ProviderOAuth = {
  credentialKind: 'jira_oauth2',
  defaultScopes: ['read:jira-work', 'write:jira-work', 'read:jira-user', 'offline_access'],

  authorizeUrl({ clientId, redirectUri, state, scopes, apiBaseUrl }) {
    const params = [
      ['audience', 'api.atlassian.com'],
      ['client_id', clientId],
      ['scope', scopes.join(' ')],
      ['redirect_uri', redirectUri],
      ['state', state],
      ['response_type', 'code'],
      ['prompt', 'consent'],
    ].map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`);
    return `${trimBase(apiBaseUrl ?? ATLASSIAN_AUTH_BASE_URL)}/authorize?${params.join('&')}`;
  },

  async requestToken({ grant, clientId, clientSecret, apiBaseUrl, fetch }): Promise<OAuthTokenSet> {
    const body =
      grant.type === 'authorization_code'
        ? { grant_type: 'authorization_code', client_id: clientId, client_secret: clientSecret, code: grant.code, redirect_uri: grant.redirectUri }
        : { grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: grant.refreshToken };
    const tokens = await requestTokenSet(fetch, { url: `${trimBase(apiBaseUrl ?? ATLASSIAN_AUTH_BASE_URL)}/oauth/token`, body }, {
      grant,
      readError: readAtlassianOAuthError, // 400 invalid_grant / invalid_request…: refused
      upstream: 'Atlassian',
    });
    if (grant.type === 'authorization_code') {
      // A new connection: the site it reaches (the first; `metadata.site_url` picks another later).
      try {
        const site = await resolveCloudSite(bearer(fetch, tokens.accessToken), apiBaseUrl, null);
        tokens.metadata = { cloud_id: site.id, site_url: site.url };
      } catch {
        // The client resolves it on its first request.
      }
    }
    return tokens;
  },
};

function bearer(fetch: typeof globalThis.fetch, accessToken: string): typeof globalThis.fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${accessToken}`);
    return fetch(input, { ...init, headers });
  };
}
