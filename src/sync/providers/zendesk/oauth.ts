/**
 * Zendesk's OAuth 2 (credential kind `zendesk_oauth2`): consent at
 * `https://<subdomain>.zendesk.com/oauth/authorizations/new`, tokens from
 * `POST https://<subdomain>.zendesk.com/oauth/tokens`. Both live on the account's own subdomain,
 * so the connect flow needs `api_base_url`. Tokens without `expires_in` never expire.
 */

import { requestJson } from '../http-json.ts';
import { UpstreamAuthError, UpstreamRequestError, type OAuthTokenSet, type ProviderOAuth } from '../provider.ts';
import { readZendeskError } from './errors.ts';

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  token_type?: unknown;
  scope?: unknown;
}

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
    let answer;
    try {
      answer = await requestJson<TokenAnswer>(fetch, { method: 'POST', url, body }, (status, errorBody) => {
        const refused = oauthError(errorBody);
        return refused ? { message: refused.description || refused.error, code: refused.error } : readZendeskError(status, errorBody);
      });
    } catch (error) {
      // 400 invalid_grant / invalid_request: the grant is refused (a 401 is an UpstreamAuthError already).
      if (error instanceof UpstreamRequestError && error.status === 400) {
        throw new UpstreamAuthError(`Zendesk refused the ${grant.type} grant: ${error.code}: ${error.message}`, error.status);
      }
      throw error;
    }
    const { access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn } = answer.body ?? {};
    if (typeof accessToken !== 'string' || accessToken === '') throw new UpstreamRequestError('Zendesk answered the token request without an access_token', answer.status, 'invalid_token_answer');
    const issuedRefresh = typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : null;
    return {
      accessToken,
      refreshToken: grant.type === 'refresh_token' && issuedRefresh === grant.refreshToken ? null : issuedRefresh,
      expiresAt: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? new Date(Date.now() + expiresIn * 1000) : null,
      metadata: {},
    };
  },
};
