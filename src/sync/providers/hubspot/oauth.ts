import { requestJson } from '../http-json.ts';
import { UpstreamAuthError, UpstreamRequestError, type OAuthTokenSet, type ProviderOAuth } from '../provider.ts';
import { HUBSPOT_API_BASE_URL, readHubSpotError } from './client.ts';

const AUTHORIZE_BASE_URL = 'https://app.hubspot.com';

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  token_type?: unknown;
}

const trimBase = (url: string) => url.replace(/\/+$/, '');

/** HubSpot's OAuth 2: consent at app.hubspot.com, tokens from `POST api.hubapi.com/oauth/v1/token`. */
export const hubspotOAuth: ProviderOAuth = {
  credentialKind: 'hubspot_oauth2',
  defaultScopes: [
    'oauth',
    'crm.objects.contacts.read',
    'crm.objects.contacts.write',
    'crm.objects.companies.read',
    'crm.objects.companies.write',
    'crm.objects.deals.read',
    'crm.objects.deals.write',
  ],

  authorizeUrl({ clientId, redirectUri, state, scopes, apiBaseUrl }) {
    // HubSpot separates scopes with encoded spaces (%20), not `+`.
    const params = [
      ['client_id', clientId],
      ['redirect_uri', redirectUri],
      ['scope', scopes.join(' ')],
      ['state', state],
    ].map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`);
    return `${trimBase(apiBaseUrl ?? AUTHORIZE_BASE_URL)}/oauth/authorize?${params.join('&')}`;
  },

  async requestToken({ grant, clientId, clientSecret, apiBaseUrl, fetch }): Promise<OAuthTokenSet> {
    const form = new URLSearchParams({ grant_type: grant.type, client_id: clientId, client_secret: clientSecret });
    if (grant.type === 'authorization_code') {
      form.set('redirect_uri', grant.redirectUri);
      form.set('code', grant.code);
    } else {
      form.set('refresh_token', grant.refreshToken);
    }
    let answer;
    try {
      answer = await requestJson<TokenAnswer>(fetch, { method: 'POST', url: `${trimBase(apiBaseUrl ?? HUBSPOT_API_BASE_URL)}/oauth/v1/token`, body: form }, readHubSpotError);
    } catch (error) {
      // 400 BAD_REFRESH_TOKEN / BAD_AUTH_CODE / BAD_CLIENT_ID…: the grant is refused.
      if (error instanceof UpstreamRequestError && error.status === 400) throw new UpstreamAuthError(`HubSpot refused the ${grant.type} grant: ${error.code}: ${error.message}`, 400);
      throw error;
    }
    const { access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn } = answer.body ?? {};
    if (typeof accessToken !== 'string' || accessToken === '') throw new UpstreamRequestError('HubSpot answered the token request without an access_token', answer.status, 'invalid_token_answer');
    const issuedRefresh = typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : null;
    return {
      accessToken,
      refreshToken: grant.type === 'refresh_token' && issuedRefresh === grant.refreshToken ? null : issuedRefresh,
      expiresAt: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? new Date(Date.now() + expiresIn * 1000) : null,
      metadata: {},
    };
  },
};
