import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskEmulator, type ZendeskEmulator } from '../../../../src/emulators/zendesk/index.ts';
import { UpstreamAuthError, UpstreamRequestError } from '../../../../src/sync/providers/provider.ts';
import { zendeskOAuth } from '../../../../src/sync/providers/zendesk/oauth.ts';

describe('zendeskOAuth', () => {
  let emulator: ZendeskEmulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('builds the consent URL on the subdomain, and refuses to without api_base_url', () => {
    const url = zendeskOAuth.authorizeUrl({ clientId: 'c 1', redirectUri: 'https://syncline.test/cb', state: 's', scopes: zendeskOAuth.defaultScopes, apiBaseUrl: 'https://acme.zendesk.com/' });
    expect(url).toBe('https://acme.zendesk.com/oauth/authorizations/new?response_type=code&redirect_uri=https%3A%2F%2Fsyncline.test%2Fcb&client_id=c%201&scope=read%20write&state=s');
    let thrown: unknown;
    try {
      zendeskOAuth.authorizeUrl({ clientId: 'c', redirectUri: 'https://syncline.test/cb', state: 's', scopes: ['read'], apiBaseUrl: null });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UpstreamRequestError);
    expect((thrown as UpstreamRequestError).code).toBe('api_base_url_required');
  });

  it('exchanges a code and refreshes against the emulator; tokens without expires_in never expire', async () => {
    emulator = await startZendeskEmulator();
    const { clientId, clientSecret } = emulator.oauthClient;
    const redirectUri = 'https://syncline.test/v1/oauth/zendesk/callback';
    const consent = await fetch(zendeskOAuth.authorizeUrl({ clientId, redirectUri, state: 'st', scopes: ['read', 'write'], apiBaseUrl: emulator.url }), { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const location = new URL(consent.headers.get('location') as string);
    expect(location.searchParams.get('state')).toBe('st');
    const code = location.searchParams.get('code') as string;

    const tokens = await zendeskOAuth.requestToken({ grant: { type: 'authorization_code', code, redirectUri }, clientId, clientSecret, apiBaseUrl: emulator.url, fetch });
    expect(tokens).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresAt: null });
    const tickets = await fetch(`${emulator.url}/api/v2/tickets/count.json`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(tickets.status).toBe(200);

    const refreshed = await zendeskOAuth.requestToken({ grant: { type: 'refresh_token', refreshToken: tokens.refreshToken as string }, clientId, clientSecret, apiBaseUrl: emulator.url, fetch });
    expect(refreshed.refreshToken).toBeNull(); // not rotated: keep the one in use
    expect(emulator.refreshGrants).toBe(1);

    await expect(zendeskOAuth.requestToken({ grant: { type: 'authorization_code', code, redirectUri }, clientId, clientSecret, apiBaseUrl: emulator.url, fetch })).rejects.toBeInstanceOf(UpstreamAuthError);
    await expect(zendeskOAuth.requestToken({ grant: { type: 'refresh_token', refreshToken: 'nope' }, clientId, clientSecret, apiBaseUrl: emulator.url, fetch })).rejects.toThrow(/invalid_grant/);
  });

  it('reads expires_in when the tokens expire', async () => {
    emulator = await startZendeskEmulator({ accessTokenTtlSeconds: 7200 });
    const { clientId, clientSecret } = emulator.oauthClient;
    const tokens = await zendeskOAuth.requestToken({ grant: { type: 'refresh_token', refreshToken: emulator.issueRefreshToken() }, clientId, clientSecret, apiBaseUrl: emulator.url, fetch });
    expect(tokens.expiresAt!.getTime() - Date.now()).toBeGreaterThan(7100_000);
  });
});
