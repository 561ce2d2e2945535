import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('auth, accounts and API tokens over REST', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers 401 with a code for a missing, malformed or unknown token', async () => {
    for (const token of [null, 'nope', 'syn_unknown_token_value']) {
      const answer = await restClient(server.url, token).get('/v1/streams');
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('unauthorized');
    }
    const wrongScheme = await restClient(server.url, null).raw('GET', '/v1/streams', undefined, { headers: { authorization: `Basic ${ROOT_TOKEN}` } });
    expect(wrongScheme.status).toBe(401);
  });

  it('lets the root token create an account whose first token works, and nobody else', async () => {
    const root = restClient(server.url, ROOT_TOKEN);
    const created = await root.post('/v1/accounts', { name: 'acme' });
    expect(created.status).toBe(201);
    expect(created.body.account.name).toBe('acme');
    expect(created.body.api_token.token).toMatch(/^syn_/);

    const acme = restClient(server.url, created.body.api_token.token);
    const me = await acme.get('/v1/account');
    expect(me.body).toMatchObject({ id: created.body.account.id, name: 'acme', is_root: false });

    const forbidden = await acme.post('/v1/accounts', { name: 'evil' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
  });

  it('creates, lists and revokes API tokens; a revoked token stops working', async () => {
    const account = await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'tokens-co' });
    const client = restClient(server.url, account.body.api_token.token);
    const issued = await client.post('/v1/api-tokens', { name: 'ci' });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ name: 'ci', revoked_at: null });
    const second = restClient(server.url, issued.body.token);
    expect((await second.get('/v1/streams')).status).toBe(200);

    const list = await client.get('/v1/api-tokens');
    expect(list.body.data.map((t: any) => t.name).sort()).toEqual(['ci', 'first token']);
    expect(JSON.stringify(list.body)).not.toContain(issued.body.token);

    expect((await client.delete(`/v1/api-tokens/${issued.body.id}`)).status).toBe(204);
    expect((await second.get('/v1/streams')).status).toBe(401);
    const after = await client.get('/v1/api-tokens');
    expect(after.body.data.find((t: any) => t.id === issued.body.id).revoked_at).not.toBeNull();
  });

  it("never shows one account another account's resources (404, no data)", async () => {
    const root = restClient(server.url, ROOT_TOKEN);
    const a = restClient(server.url, (await root.post('/v1/accounts', { name: 'a' })).body.api_token.token);
    const b = restClient(server.url, (await root.post('/v1/accounts', { name: 'b' })).body.api_token.token);
    const stream = await a.post('/v1/streams', { name: 'secret-stream' });
    const credential = await a.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_aaaaaaaaaaaaaaaa' });
    const app = await a.post('/v1/oauth-apps', { provider: 'hubspot', client_id: 'cid', client_secret: 'csecret-value' });
    const tokens = await a.get('/v1/api-tokens');

    for (const path of [`/v1/streams/${stream.body.id}`, `/v1/credentials/${credential.body.id}`, `/v1/oauth-apps/${app.body.id}`]) {
      const answer = await b.get(path);
      expect(answer.status).toBe(404);
      expect(JSON.stringify(answer.body)).not.toContain('secret-stream');
    }
    expect((await b.delete(`/v1/streams/${stream.body.id}`)).status).toBe(404);
    expect((await b.delete(`/v1/credentials/${credential.body.id}`)).status).toBe(404);
    expect((await b.delete(`/v1/oauth-apps/${app.body.id}`)).status).toBe(404);
    expect((await b.patch(`/v1/credentials/${credential.body.id}`, { name: 'x' })).status).toBe(404);
    expect((await b.delete(`/v1/api-tokens/${tokens.body.data[0].id}`)).status).toBe(404);
    expect((await b.get('/v1/streams')).body.data).toEqual([]);
    expect((await b.get('/v1/credentials')).body.data).toEqual([]);
    expect((await a.get(`/v1/streams/${stream.body.id}`)).status).toBe(200);
  });
});
