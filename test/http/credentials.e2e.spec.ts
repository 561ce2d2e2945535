import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const ACCESS_TOKEN = 'sk_live_51Hq3xVerySecretAccessTokenValue7dc';
const REFRESH_TOKEN = 'rt_VerySecretRefreshTokenValue_99';
const CLIENT_SECRET = 'oauth-client-secret-value-abcdef';

describe('credentials and oauth apps: secrets encrypted at rest, never returned or logged', () => {
  let server: TestServer;
  let api: RestClient;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer();
    token = (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'creds' })).body.api_token.token;
    api = restClient(server.url, token);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('creates a credential in the seed shape and answers with redacted secrets', async () => {
    const created = await api.post('/v1/credentials', { kind: 'stripe', access_token: ACCESS_TOKEN, metadata: { team: 'billing' }, name: 'main' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'stripe',
      name: 'main',
      metadata: { team: 'billing' },
      has_access_token: true,
      has_refresh_token: false,
      access_token: `…${ACCESS_TOKEN.slice(-4)}`,
    });
    expect(JSON.stringify(created.body)).not.toContain(ACCESS_TOKEN);
    expect((await api.get(`/v1/credentials/${created.body.id}`)).body).toEqual(created.body);
  });

  it('maps the inline `secret` to the kind main secret and checks each kind needs', async () => {
    const app = await api.post('/v1/oauth-apps', { provider: 'salesforce', client_id: 'sf-client', client_secret: CLIENT_SECRET });
    expect(app.status).toBe(201);
    expect(app.body.client_secret).not.toContain(CLIENT_SECRET.slice(5, -3));
    const sf = await api.post('/v1/credentials', { kind: 'salesforce_oauth2', secret: REFRESH_TOKEN, oauth_app_id: app.body.id });
    expect(sf.status).toBe(201);
    expect(sf.body).toMatchObject({ has_refresh_token: true, oauth_app_id: app.body.id });

    const missing = await api.post('/v1/credentials', { kind: 'salesforce_oauth2', secret: REFRESH_TOKEN });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.map((d: any) => d.path)).toContain('oauth_app_id');
    const shopify = await api.post('/v1/credentials', { kind: 'shopify', access_token: 'shpat_x' });
    expect(shopify.body.error.details.map((d: any) => d.path)).toContain('metadata.shop');
    const unknownKind = await api.post('/v1/credentials', { kind: 'myspace', access_token: 'x' });
    expect(unknownKind.status).toBe(422);
    const unknownApp = await api.post('/v1/credentials', { kind: 'hubspot_oauth2', refresh_token: 'r', oauth_app_id: '00000000-0000-4000-8000-000000000999' });
    expect(unknownApp.status).toBe(422);
    const noToken = await api.post('/v1/credentials', { kind: 'zendesk_oauth2', api_base_url: 'https://acme.zendesk.com' });
    expect(noToken.status).toBe(422);
    expect(noToken.body.error.details.map((d: any) => d.path)).toContain('access_token|refresh_token');
    const badUrl = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'x', api_base_url: 'ftp://nope' });
    expect(badUrl.status).toBe(400);
  });

  it('replaces secrets with PATCH, keeping the others, and deletes', async () => {
    const created = await api.post('/v1/credentials', { kind: 'hubspot', access_token: 'pat-na1-old-token-value' });
    const patched = await api.patch(`/v1/credentials/${created.body.id}`, { access_token: 'pat-na1-new-token-value', name: 'renamed' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed', access_token: '…alue', kind: 'hubspot' });
    expect((await api.delete(`/v1/credentials/${created.body.id}`)).status).toBe(204);
    expect((await api.get(`/v1/credentials/${created.body.id}`)).status).toBe(404);
  });

  it('never lets a secret reach GraphQL, the logs, the read models or the event log in clear text', async () => {
    await api.post('/v1/credentials', { kind: 'github', access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN });
    const gql = await graphqlClient(server.url, token)(
      '{ credentials { edges { node { kind accessToken refreshToken hasAccessToken metadata } } } oauthApps { edges { node { clientSecret } } } }',
    );
    expect(gql.errors).toBeUndefined();
    const text = JSON.stringify(gql);
    expect(text).toContain('github');

    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    const tables = ['credentials', 'oauth_apps', 'emt_messages', 'emt_streams'];
    const dumps = await Promise.all(tables.map(async (t) => JSON.stringify((await db.query(`SELECT * FROM ${t}`)).rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))));
    await db.end();
    expect(dumps[0]).toContain('v1.'); // sealed secrets are there, encrypted

    for (const secret of [ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET]) {
      expect(text).not.toContain(secret);
      for (const dump of dumps) expect(dump).not.toContain(secret);
      expect(server.logLines.join('')).not.toContain(secret);
    }
    expect(server.logLines.length).toBeGreaterThan(0);
  });
});
