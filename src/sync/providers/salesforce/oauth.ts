import { requestJson } from '../http-json.ts';
import { UpstreamAuthError, UpstreamRequestError, type OAuthTokenSet, type ProviderOAuth } from '../provider.ts';
import { readOAuthError } from './errors.ts';

export const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';

/** What the token endpoint answers (no `expires_in`: a session lasts the org's session timeout). */
interface SalesforceTokenAnswer {
  access_token: string;
  instance_url: string;
  id?: string;
  token_type?: string;
  issued_at?: string;
  signature?: string;
  scope?: string;
  /** Only on the authorization-code grant. */
  refresh_token?: string;
}

const loginUrl = (apiBaseUrl: string | null, path: string): URL => new URL(path, `${(apiBaseUrl ?? DEFAULT_LOGIN_URL).replace(/\/+$/, '')}/`);

/** The refused grants: the credential (refresh token, client) needs fixing, not a retry. */
const REFUSED_GRANT = new Set(['invalid_grant', 'invalid_client', 'invalid_client_id', 'unauthorized_client', 'inactive_user', 'inactive_org']);

export const salesforceOAuth: ProviderOAuth = {
  credentialKind: 'salesforce_oauth2',
  // `api` for REST data calls, `refresh_token` so that the code grant answers a refresh token.
  defaultScopes: ['api', 'refresh_token'],
  authorizeUrl({ clientId, redirectUri, state, scopes, apiBaseUrl }) {
    const url = loginUrl(apiBaseUrl, 'services/oauth2/authorize');
    url.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: scopes.join(' '), state }).toString();
    return url.toString();
  },
  async requestToken({ grant, clientId, clientSecret, apiBaseUrl, fetch }): Promise<OAuthTokenSet> {
    const form = new URLSearchParams({ grant_type: grant.type, client_id: clientId, client_secret: clientSecret });
    if (grant.type === 'authorization_code') {
      form.set('code', grant.code);
      form.set('redirect_uri', grant.redirectUri);
    } else {
      form.set('refresh_token', grant.refreshToken);
    }
    let body: SalesforceTokenAnswer;
    try {
      ({ body } = await requestJson<SalesforceTokenAnswer>(fetch, { method: 'POST', url: loginUrl(apiBaseUrl, 'services/oauth2/token'), body: form }, readOAuthError));
    } catch (error) {
      if (error instanceof UpstreamRequestError && REFUSED_GRANT.has(error.code)) throw new UpstreamAuthError(error.message, error.status);
      throw error;
    }
    if (typeof body?.access_token !== 'string' || typeof body.instance_url !== 'string') {
      throw new UpstreamAuthError('the Salesforce token answer has no access_token or instance_url', 401);
    }
    const metadata: Record<string, unknown> = { instance_url: body.instance_url };
    if (typeof body.id === 'string') metadata.id = body.id;
    if (typeof body.scope === 'string') metadata.scope = body.scope;
    return { accessToken: body.access_token, refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : null, expiresAt: null, metadata };
  },
};
