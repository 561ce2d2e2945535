import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJiraEmulator, type JiraEmulator } from '../../../../src/emulators/jira/index.ts';
import { UpstreamAuthError, type OAuthTokenSet, type OAuthTokenSource, type ProviderCredential } from '../../../../src/sync/providers/provider.ts';
import { JiraClient } from '../../../../src/sync/providers/jira/client.ts';
import { jiraOAuth } from '../../../../src/sync/providers/jira/oauth.ts';

describe('Jira OAuth 2.0 (3LO)', () => {
  let emulator: JiraEmulator;
  beforeAll(async () => {
    emulator = await startJiraEmulator({ objects: 3, randomSeed: 11 });
  });
  afterAll(() => emulator.close());

  const app = () => ({ clientId: emulator.oauthClient.clientId, clientSecret: emulator.oauthClient.clientSecret });

  it("builds Atlassian's consent URL (audience, space-separated scopes, prompt=consent)", () => {
    const url = new URL(jiraOAuth.authorizeUrl({ clientId: 'c', redirectUri: 'https://x.test/cb', state: 'st', scopes: jiraOAuth.defaultScopes, apiBaseUrl: null }));
    expect(`${url.origin}${url.pathname}`).toBe('https://auth.atlassian.com/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      audience: 'api.atlassian.com',
      client_id: 'c',
      scope: 'read:jira-work write:jira-work read:jira-user offline_access',
      redirect_uri: 'https://x.test/cb',
      state: 'st',
      response_type: 'code',
      prompt: 'consent',
    });
  });

  it('exchanges a code (cloud id and site in the metadata) and refreshes with a rotated refresh token', async () => {
    const redirectUri = 'http://127.0.0.1:1/cb';
    const consent = await fetch(jiraOAuth.authorizeUrl({ clientId: app().clientId, redirectUri, state: 's', scopes: jiraOAuth.defaultScopes, apiBaseUrl: emulator.url }), { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const tokens = await jiraOAuth.requestToken({ grant: { type: 'authorization_code', code, redirectUri }, ...app(), apiBaseUrl: emulator.url, fetch });
    expect(tokens.refreshToken).toBeTruthy();
    expect(tokens.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(tokens.metadata).toEqual({ cloud_id: emulator.cloudId, site_url: emulator.url });
    const next = await jiraOAuth.requestToken({ grant: { type: 'refresh_token', refreshToken: tokens.refreshToken! }, ...app(), apiBaseUrl: emulator.url, fetch });
    expect(next.refreshToken).toBeTruthy();
    expect(next.refreshToken).not.toBe(tokens.refreshToken);
    await expect(jiraOAuth.requestToken({ grant: { type: 'refresh_token', refreshToken: tokens.refreshToken! }, ...app(), apiBaseUrl: emulator.url, fetch })).rejects.toBeInstanceOf(UpstreamAuthError);
  });

  /** A token source over the emulator's token endpoint (what the engine does, without storage). */
  function tokenSource(refreshToken: string, metadata: Record<string, unknown> = {}): OAuthTokenSource {
    let current: OAuthTokenSet | null = null;
    let refresh = refreshToken;
    const grant = async () => {
      const next = await jiraOAuth.requestToken({ grant: { type: 'refresh_token', refreshToken: refresh }, ...app(), apiBaseUrl: emulator.url, fetch });
      refresh = next.refreshToken ?? refresh;
      current = { ...next, metadata: { ...metadata, ...next.metadata } };
      return current;
    };
    return { current: async () => current ?? grant(), refresh: async () => grant() };
  }

  const credential = (metadata: Record<string, unknown>): ProviderCredential => ({
    kind: 'jira_oauth2',
    accessToken: null,
    accessTokenExpiresAt: null,
    refreshToken: 'unused',
    apiBaseUrl: emulator.url,
    metadata,
    oauthApp: app(),
  });

  it('reaches the API through the gateway, resolving the cloud id, and refreshes on 401', async () => {
    const seen: string[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).pathname);
      return fetch(input, init);
    };
    const client = JiraClient.connect({ credential: credential({}), fetch: recording, oauth: tokenSource(emulator.issueRefreshToken()) });
    const me = await client.get<{ emailAddress: string }>(client.url('myself'));
    expect(me.body.emailAddress).toBe(emulator.email);
    expect(seen).toEqual(['/oauth/token/accessible-resources', `/ex/jira/${emulator.cloudId}/rest/api/3/myself`]);
    emulator.expireAccessTokens();
    const grants = emulator.refreshGrants;
    expect((await client.get<{ emailAddress: string }>(client.url('myself'))).status).toBe(200);
    expect(emulator.refreshGrants).toBe(grants + 1);
  });

  it('uses the stored cloud id, and refuses a site_url the grant does not reach', async () => {
    const known = JiraClient.connect({ credential: credential({ cloud_id: emulator.cloudId }), fetch, oauth: tokenSource(emulator.issueRefreshToken(), { cloud_id: emulator.cloudId }) });
    expect((await known.get(known.url('myself'))).status).toBe(200);
    const bySite = JiraClient.connect({ credential: credential({ site_url: `${emulator.url}/` }), fetch, oauth: tokenSource(emulator.issueRefreshToken()) });
    expect((await bySite.get(bySite.url('myself'))).status).toBe(200);
    const other = JiraClient.connect({ credential: credential({ site_url: 'https://other.atlassian.net' }), fetch, oauth: tokenSource(emulator.issueRefreshToken()) });
    await expect(other.get(other.url('myself'))).rejects.toBeInstanceOf(UpstreamAuthError);
  });
});
