/**
 * The crash guard over real PostgreSQL (issue 21, finding 2): a start counts the death of the boot
 * that left its row behind only when the sync did not move since; at the limit the sync is put in
 * `error` and must not run; a resume (new generation) or a completed first step clears it. Another
 * boot's death is simulated by handing its row to a boot that no longer exists.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSyncProgress } from '../../src/commands/syncs.ts';
import { CrashGuard } from '../../src/sync/crash-guard.ts';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('crash guard', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ SYNCLINE_SYNC_CRASH_LIMIT: '2' }, { disableSyncs: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('counts deaths at the same position, puts the sync in error at the limit, and starts afresh after a resume', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_crash_guard' });
    const created = (await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer', 'stripe:product'], credential_id: credential.body.id })).body;
    const ctx = server.app.ctx;
    const load = () => ctx.prisma.sync.findUniqueOrThrow({ where: { id: created.id }, include: { collections: true } });
    const marker = async () => (await ctx.pool.query('SELECT crashes FROM sync_crash_markers WHERE sync_id = $1', [created.id])).rows[0] as { crashes: number } | undefined;
    const diedWithIt = () => ctx.pool.query('UPDATE sync_crash_markers SET boot_id = $2 WHERE sync_id = $1', [created.id, randomUUID()]);

    // A first step that ends (in each collection) clears the row: nothing to count later.
    const first = await CrashGuard.begin(ctx, await load());
    expect(await marker()).toEqual({ crashes: 0 });
    first!.stepEnded('stripe:customer');
    expect(await marker()).toBeDefined(); // the other collection's first step is still in flight
    first!.stepEnded('stripe:product');
    await new Promise((r) => setTimeout(r, 100));
    expect(await marker()).toBeUndefined();

    // The boot dies during the first step: counted at the next start.
    await CrashGuard.begin(ctx, await load());
    await diedWithIt();
    expect(await CrashGuard.begin(ctx, await load())).not.toBeNull();
    expect(await marker()).toEqual({ crashes: 1 });

    // It died again, but the sync had moved on meanwhile (a page was stored): not a crash loop.
    await diedWithIt();
    const sync = await load();
    const run = { syncId: sync.id, accountId: sync.accountId, generation: sync.generation, collectionId: 'stripe:customer' };
    await recordSyncProgress(ctx, { type: 'StartBackfill', data: { ...run, changesCursor: '{"t":0,"ids":[]}' }, metadata: { now: new Date() } });
    await recordSyncProgress(ctx, { type: 'RecordBackfillPage', data: { ...run, nextCursor: 'cus_100', pageRecords: 100, totalCount: null }, metadata: { now: new Date() } });
    expect(await CrashGuard.begin(ctx, await load())).not.toBeNull();
    expect(await marker()).toEqual({ crashes: 0 });

    // Twice at the same position: the limit (2) is reached, the sync is in error and must not run.
    await diedWithIt();
    expect(await CrashGuard.begin(ctx, await load())).not.toBeNull();
    await diedWithIt();
    expect(await CrashGuard.begin(ctx, await load())).toBeNull();
    const status = (await api.get(`/v1/syncs/${created.id}/status`)).body;
    expect(status.state).toBe('error');
    expect(status.last_error).toMatchObject({ code: 'sync_crash_limit' });
    expect(status.last_error.message).toContain('SYNCLINE_SYNC_CRASH_LIMIT=2');
    // Still refused at the next start (another boot).
    await diedWithIt();
    expect(await CrashGuard.begin(ctx, await load())).toBeNull();

    // A resume is a new generation: a fresh count.
    expect((await api.post(`/v1/syncs/${created.id}/resume`)).status).toBe(200);
    expect(await CrashGuard.begin(ctx, await load())).not.toBeNull();
    expect(await marker()).toEqual({ crashes: 0 });
  });
});
