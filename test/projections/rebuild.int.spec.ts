import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelProjections } from '../../src/projections/index.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

async function dumpReadModels(db: pg.Client): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of readModelProjections.flatMap((p) => p.tables)) {
    dump[table] = (await db.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
  }
  return dump;
}

describe('rebuilding read models from the event log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('reproduces identical read models, including updates and deletes', async () => {
    const root = restClient(server.url, ROOT_TOKEN);
    const account = await root.post('/v1/accounts', { name: 'rebuild' });
    const api = restClient(server.url, account.body.api_token.token);
    const kept = await api.post('/v1/streams', { name: 'kept' });
    const gone = await api.post('/v1/streams', { name: 'gone' });
    await api.delete(`/v1/streams/${gone.body.id}`);
    const app = await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: 'id', client_secret: 'secret-secret' });
    const credential = await api.post('/v1/credentials', { kind: 'hubspot_oauth2', refresh_token: 'r-token-1', oauth_app_id: app.body.id });
    await api.patch(`/v1/credentials/${credential.body.id}`, { refresh_token: 'r-token-2', metadata: { a: 1 } });
    const removed = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_removed' });
    await api.delete(`/v1/credentials/${removed.body.id}`);
    const token = await api.post('/v1/api-tokens', { name: 'revoked' });
    await api.delete(`/v1/api-tokens/${token.body.id}`);

    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    const before = await dumpReadModels(db);
    expect(before.streams).toHaveLength(1);
    expect(before.credentials).toHaveLength(1);

    const { events } = await rebuildReadModels(server.app.ctx.pool, readModelProjections);
    expect(events).toBeGreaterThan(10);
    const after = await dumpReadModels(db);
    await db.end();
    expect(after).toEqual(before);

    // and the API answers the same after the rebuild
    expect((await api.get(`/v1/streams/${kept.body.id}`)).body).toEqual(kept.body);
    expect((await api.get('/v1/credentials')).body.data).toHaveLength(1);
  });
});
