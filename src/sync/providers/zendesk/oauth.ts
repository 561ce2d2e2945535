/**
 * Zendesk's OAuth 2 (credential kind `zendesk_oauth2`): consent at
 * `https://<subdomain>.zendesk.com/oauth/authorizations/new`, tokens from
 * `POST https://<subdomain>.zendesk.com/oauth/tokens`. Both live on the account's own subdomain,
 * so the connect flow needs `api_base_url`. Tokens without `expires_in` never expire.
 */

import { requestTokenSet } from '../../oauth/token-request.ts';
import { UpstreamRequestError, type OAuthTokenSet, type ProviderOAuth } from '../provider.ts';
import { readZendeskError } from './errors.ts';

const trimBase = (url: string) => url.replace(/\/+$/, '');

function siteOf(apiBaseUrl: string | null): string {
  if (!apiBaseUrl) throw new UpstreamRequestError('Zendesk OAuth needs the account\'s api_base_url (https://<subdomain>.zendesk.com)', 400, 'api_base_url_required');
  return trimBase(apiBaseUrl);
}

/** Token endpoint errors: `{"error": "invalid_grant", "error_description": "…"}`. */
function oauthError(body: unknown): { error: string; description: string } | null {
  if (!body || typeof body !== 'object') return null;
  const object = body as Record<string, unknown>;
  if (typeof object.error !== 'string') return null;
  return { error: object.error, description: typeof object.error_description === 'string' ? object.error_description : '' };
}

export const zendeskOAuth: ProviderOAuth = {
  credentialKind: 'zendesk_oauth2',
  defaultScopes: ['read', 'write'],

  authorizeUrl({ clientId, redirectUri, state, scopes, apiBaseUrl }) {
    // Scopes separated by encoded spaces (%20).
    const params = [
      ['response_type', 'code'],
      ['redirect_uri', redirectUri],
      ['client_id', clientId],
      ['scope', scopes.join(' ')],
      ['state', state],
    ].map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`);
    return `${siteOf(apiBaseUrl)}/oauth/authorizations/new?${params.join('&')}`;
  },

  async requestToken({ grant, clientId, clientSecret, apiBaseUrl, fetch }): Promise<OAuthTokenSet> {
    const body: Record<string, string> =
      grant.type === 'authorization_code'
        ? { grant_type: 'authorization_code', code: grant.code, client_id: clientId, client_secret: clientSecret, redirect_uri: grant.redirectUri, scope: zendeskOAuth.defaultScopes.join(' ') }
        : { grant_type: 'refresh_token', refresh_token: grant.refreshToken, client_id: clientId, client_secret: clientSecret };
    const url = `${siteOf(apiBaseUrl)}/oauth/tokens`;
    // 400 invalid_grant / invalid_request: the grant is refused.
    return requestTokenSet(fetch, { url, body }, {
      grant,
      readError: (status, errorBody) => {
        const refused = oauthError(errorBody);
        return refused ? { message: refused.description || refused.error, code: refused.error } : readZendeskError(status, errorBody);
      },
      upstream: 'Zendesk',
    });
  },
};
