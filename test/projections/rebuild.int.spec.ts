import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelProjections } from '../../src/projections/index.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { restClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { dumpReadModels } from '../support/read-models.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('rebuilding read models from the event log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
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
    const sync = await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer', 'stripe:price'], credential: { properties: { kind: 'stripe', secret: 'sk_test_rebuild' } } });
    await api.post(`/v1/syncs/${sync.body.id}/pause`);
    const target = { syncId: sync.body.id, streamId: sync.body.stream_id };
    for (let round = 0; round < 3; round++) {
      await seedRecords(server.app.ctx, { ...target, collectionId: 'stripe:customer' }, [{ id: 'cus_1', data: { round } }, { id: `cus_${round + 2}` }]);
      await seedRecords(server.app.ctx, { ...target, collectionId: 'stripe:price' }, [{ id: 'price_1', data: { round }, deleted: round === 2 }]);
    }
    const consumer = await api.post('/v1/http-consumers', { name: 'c1', stream_id: sync.body.stream_id, max_deliver: 2 });
    // delivery history: leased, acked, nacked (flushed by the recorder before the dump)
    const first = await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 3 });
    await api.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: first.body.slice(0, 2).map((m: any) => m.ack_token) });
    await api.post(`/v1/http-consumers/${consumer.body.id}/nack`, { ack_tokens: [first.body[2].ack_token] });
    await server.app.ctx.history.flush();

    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    try {
      const before = await dumpReadModels(db);
      expect(before.streams).toHaveLength(1);
      expect(before.credentials).toHaveLength(2);
      expect(before.records).toHaveLength(5);
      expect(before.stream_heads).toEqual([{ stream_id: sync.body.stream_id, last_idx: 9n }]);
      // one row per history event, naming its messages
      expect((before.consumer_message_events as { action: string; upstream_id_hashes: string[] }[]).map((h) => `${h.action}:${h.upstream_id_hashes.length}`).sort()).toEqual(['acked:2', 'delivered:3', 'nacked:1']);

      const { events } = await rebuildReadModels(server.app.ctx.pool, readModelProjections);
      expect(events).toBeGreaterThan(10);
      const after = await dumpReadModels(db);
      expect(after).toEqual(before);
    } finally {
      await db.end();
    }

    // and the API answers the same after the rebuild
    expect((await api.get(`/v1/streams/${kept.body.id}`)).body).toEqual(kept.body);
    expect((await api.get('/v1/credentials')).body.data).toHaveLength(2);
    const records = (await api.get(`/v1/syncs/${sync.body.id}/records`)).body.data;
    expect(records.map((r: any) => [r.upstream_id, r.updated_idx, r.deleted])).toEqual([
      ['cus_2', 2, false],
      ['cus_3', 5, false],
      ['cus_1', 7, false],
      ['cus_4', 8, false],
      ['price_1', 9, true],
    ]);
  });
});
