import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/emulators/hubspot/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { allRecords } from '../support/records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/** The OAuth connect flow end to end: Syncline → the provider's consent page (HubSpot emulator) → callback → credential → sync. */
describe('OAuth connect flow', () => {
  let server: TestServer;
  let emulator: HubSpotEmulator;
  let api: RestClient;
  let oauthAppId: string;
  let callbackUrl: string;

  beforeAll(async () => {
    emulator = await startHubSpotEmulator({ seed: { contact: 40, company: 0, deal: 0 }, randomSeed: 9, searchRateLimit: null });
    // This file's syncs poll faster than the default minimum (1000 ms) to keep it quick.
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
    callbackUrl = `${server.url}/v1/oauth/hubspot/callback`;
    const app = await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret });
    expect(app.status).toBe(201);
    oauthAppId = app.body.id;
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  const authorize = (extra: Record<string, string> = {}) =>
    api.get(`/v1/oauth/hubspot/authorize?${new URLSearchParams({ oauth_app_id: oauthAppId, redirect_uri: callbackUrl, api_base_url: emulator.url, ...extra })}`);

  /** The browser's visit to Syncline's callback (no API token: the state authenticates it), through the checked REST client. */
  const callback = (url: string) => restClient(server.url, null).raw('GET', url.slice(server.url.length), undefined, { redirect: 'manual' });

  /** What a browser does: open the consent page, follow the provider's redirect back to Syncline. */
  async function consent(authorizeUrl: string) {
    const consentPage = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(consentPage.status).toBe(302);
    const back = consentPage.headers.get('location')!;
    expect(back.startsWith(callbackUrl)).toBe(true);
    return callback(back);
  }

  it('lists the flow on the provider', async () => {
    const providers = await api.get('/v1/providers');
    const hubspot = providers.body.data.find((p: { name: string }) => p.name === 'hubspot');
    expect(hubspot.oauth).toMatchObject({ credential_kind: 'hubspot_oauth2' });
    expect(hubspot.oauth.default_scopes).toContain('crm.objects.contacts.read');
    const stripe = providers.body.data.find((p: { name: string }) => p.name === 'stripe');
    expect(stripe.oauth).toBeNull();
  });

  it('creates the credential from the callback, and a sync with it backfills on the exchanged token', async () => {
    const started = await authorize({ return_to: 'http://console.example/credentials', name: 'crm' });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const url = new URL(started.body.authorize_url);
    expect(url.origin).toBe(emulator.url);
    expect(url.searchParams.get('client_id')).toBe(emulator.oauthClient.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(callbackUrl);
    expect(url.searchParams.get('state')).toBe(started.body.state);

    const done = await consent(started.body.authorize_url);
    expect(done.status).toBe(302);
    const returned = new URL(done.headers.get('location')!);
    expect(returned.origin + returned.pathname).toBe('http://console.example/credentials');
    const credentialId = returned.searchParams.get('credential_id')!;
    expect(emulator.authorizationCodeGrants).toBe(1);

    const credential = await api.get(`/v1/credentials/${credentialId}`);
    expect(credential.status).toBe(200);
    expect(credential.body).toMatchObject({ kind: 'hubspot_oauth2', name: 'crm', oauth_app_id: oauthAppId, api_base_url: emulator.url });
    const shown = JSON.stringify(credential.body);
    const logs = server.logLines.join('\n');
    for (const secret of [emulator.oauthClient.clientSecret]) {
      expect(shown).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }

    const sync = await api.post('/v1/syncs', {
      provider: 'hubspot',
      name: 'connected',
      collection_ids: ['hubspot:contact'],
      credential_id: credentialId,
      rate_limit: { allowed_requests: 50, interval: 1, max_concurrent_requests: 4 },
      poll_interval_ms: 500,
    });
    expect(sync.status, JSON.stringify(sync.body)).toBe(201);
    await waitFor(async () => (await allRecords(api, sync.body.id, 'hubspot:contact')).length === 40, 30_000, 'the backfill');
    expect(emulator.refreshGrants).toBe(0); // the exchanged access token was stored and used

    // An expired token is refreshed once and persisted, without restarting the sync (its credential version stays).
    const version = (await api.get(`/v1/credentials/${credentialId}`)).body.updated_at;
    emulator.expireAccessTokens();
    const changed = emulator.mutateRandomly(5, ['contact']);
    const touched = [...changed.created, ...changed.updated];
    await waitFor(
      async () => {
        const records = await allRecords(api, sync.body.id, 'hubspot:contact');
        return touched.every((id) => records.some((r) => r.upstream_id === id));
      },
      30_000,
      'changes after the token expired',
    );
    expect(emulator.refreshGrants).toBe(1);
    expect((await api.get(`/v1/credentials/${credentialId}`)).body.updated_at).toBe(version);
    const status = await api.get(`/v1/syncs/${sync.body.id}/status`);
    expect(status.body.last_error).toBeNull();
  }, 90_000);

  it('answers the callback with the credential when no return_to was given', async () => {
    const started = await authorize();
    const done = await consent(started.body.authorize_url);
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ kind: 'hubspot_oauth2', oauth_app_id: oauthAppId });
  });

  it('refuses forged or expired states, denied consent, codes used twice and apps of another provider', async () => {
    const forged = await callback(`${callbackUrl}?code=abc&state=v1.not.sealed.here`);
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('invalid_oauth_state');

    const started = await authorize();
    const denied = await callback(`${callbackUrl}?error=access_denied&state=${encodeURIComponent(started.body.state)}`);
    expect(denied.status).toBe(400);
    expect(denied.body.error.code).toBe('oauth_denied');

    const wrongProvider = await callback(`${server.url}/v1/oauth/salesforce/callback?code=abc&state=${encodeURIComponent(started.body.state)}`);
    expect([400, 422]).toContain(wrongProvider.status);

    // States are single-use: the denied one is spent, and a replayed callback makes no second token request.
    const deniedAgain = await callback(`${callbackUrl}?code=abc&state=${encodeURIComponent(started.body.state)}`);
    expect(deniedAgain.status).toBe(400);
    expect(deniedAgain.body.error.code).toBe('oauth_state_used');
    const fresh = await authorize();
    const consentPage = await fetch(fresh.body.authorize_url, { redirect: 'manual' });
    const back = consentPage.headers.get('location')!;
    expect((await callback(back)).status).toBe(201);
    const grants = emulator.authorizationCodeGrants;
    const reused = await callback(back);
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe('oauth_state_used');
    expect(emulator.authorizationCodeGrants).toBe(grants);

    const stripeApp = await api.post('/v1/oauth-apps', { provider: 'stripe', client_id: 'ca_1', client_secret: 'sk_x' });
    const mismatched = await api.get(`/v1/oauth/hubspot/authorize?${new URLSearchParams({ oauth_app_id: stripeApp.body.id, redirect_uri: callbackUrl })}`);
    expect(mismatched.status).toBe(422);
    expect(mismatched.body.error.code).toBe('invalid_oauth_app');
    const notOAuth = await api.get(`/v1/oauth/stripe/authorize?${new URLSearchParams({ oauth_app_id: stripeApp.body.id, redirect_uri: callbackUrl })}`);
    expect(notOAuth.status).toBe(422);
    expect(notOAuth.body.error.code).toBe('oauth_not_supported');
    const unauthenticated = await fetch(`${server.url}/v1/oauth/hubspot/authorize?oauth_app_id=${oauthAppId}&redirect_uri=${callbackUrl}`);
    expect(unauthenticated.status).toBe(401);
  });

  it("never lets one account start a flow with another account's OAuth app", async () => {
    const other = await api.post('/v1/accounts', { name: 'other' });
    expect(other.status).toBe(201);
    const otherApi = restClient(server.url, other.body.api_token.token);
    const answer = await otherApi.get(`/v1/oauth/hubspot/authorize?${new URLSearchParams({ oauth_app_id: oauthAppId, redirect_uri: callbackUrl })}`);
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('invalid_oauth_app');
  });
});
