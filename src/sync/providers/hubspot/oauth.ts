import { requestTokenSet } from '../../oauth/token-request.ts';
import type { OAuthTokenSet, ProviderOAuth } from '../provider.ts';
import { HUBSPOT_API_BASE_URL, readHubSpotError } from './client.ts';

const AUTHORIZE_BASE_URL = 'https://app.hubspot.com';

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
    return requestTokenSet(fetch, { url: `${trimBase(apiBaseUrl ?? HUBSPOT_API_BASE_URL)}/oauth/v1/token`, body: form }, {
      grant,
      readError: readHubSpotError, // 400 BAD_REFRESH_TOKEN / BAD_AUTH_CODE / BAD_CLIENT_ID…: refused
      upstream: 'HubSpot',
    });
  },
};
