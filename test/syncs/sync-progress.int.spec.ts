import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSyncProgress } from '../../src/commands/syncs.ts';
import { StaleRunError } from '../../src/domain/syncs/decide.ts';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('sync run checkpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('are appended without loading the sync, and refused once the sync moved to a new run', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_checkpoints' });
    const sync = (await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: credential.body.id })).body;
    const ctx = server.app.ctx;
    const { accountId } = await ctx.prisma.sync.findUniqueOrThrow({ where: { id: sync.id } });
    const run = (generation: number) => ({ syncId: sync.id as string, accountId, generation, collectionId: 'stripe:customer' });
    const metadata = { now: new Date() };
    await recordSyncProgress(ctx, { type: 'StartBackfill', data: { ...run(0), changesCursor: '{"t":0,"ids":[]}' }, metadata });
    await recordSyncProgress(ctx, { type: 'RecordBackfillPage', data: { ...run(0), nextCursor: 'cus_100', pageRecords: 100, totalCount: null }, metadata });
    expect((await api.get(`/v1/syncs/${sync.id}/status`)).body.collections[0].backfill).toMatchObject({ pages: 1, records: 100, done: false });

    expect((await api.post(`/v1/syncs/${sync.id}/resync`)).status).toBe(200);
    const before = await ctx.eventStore.readStream(`sync-${sync.id}`);
    await expect(
      recordSyncProgress(ctx, { type: 'RecordBackfillPage', data: { ...run(0), nextCursor: 'cus_200', pageRecords: 100, totalCount: null }, metadata }),
    ).rejects.toBeInstanceOf(StaleRunError);
    const after = await ctx.eventStore.readStream(`sync-${sync.id}`);
    expect(after.currentStreamVersion).toBe(before.currentStreamVersion);
    expect((await api.get(`/v1/syncs/${sync.id}/status`)).body.collections[0].backfill).toMatchObject({ pages: 0, records: 0 });

    await recordSyncProgress(ctx, { type: 'StartBackfill', data: { ...run(1), changesCursor: '{"t":0,"ids":[]}' }, metadata });
    expect((await api.get(`/v1/syncs/${sync.id}/status`)).body.collections[0].backfill.started_at).not.toBeNull();
  });
});
