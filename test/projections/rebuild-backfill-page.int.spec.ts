import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendBackfillPages, prepareBatch, type BackfillPageWrite } from '../../src/sync/ingest/backfill-pages.ts';
import { StaleRunError } from '../../src/domain/syncs/decide.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import type { UpstreamObject } from '../../src/sync/providers/provider.ts';
import { restClient } from '../support/api.ts';
import { dumpReadModels } from '../support/read-models.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const object = (id: string, data: Record<string, unknown> = { id }, deleted = false): UpstreamObject => ({
  upstreamId: id,
  data,
  upstreamCreatedAt: new Date('2024-11-10T18:38:00.070Z'),
  upstreamUpdatedAt: null,
  deleted,
});

/**
 * Backfill pages are written by one SQL function (syncline_append_backfill_pages) instead of the
 * inline projections: the read models it writes are those a rebuild from the log makes, and it
 * keeps the record writer's rules (only real changes, each id's last version, no tombstone of a
 * record never stored, a stale run's page refused whole).
 */
describe('backfill pages written in one statement', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
  });
  afterAll(async () => {
    await server.stop();
  });

  /** A paused Stripe sync, and a backfill page of its customers with its checkpoint (none for the last page). */
  async function pausedSync(secret: string, totalCount: number) {
    const root = restClient(server.url, ROOT_TOKEN);
    const created = await root.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential: { properties: { kind: 'stripe', secret } } });
    await root.post(`/v1/syncs/${created.body.id}/pause`);
    const { rows } = await server.app.ctx.pool.query<{ account_id: string; generation: number }>('SELECT account_id, generation FROM syncs WHERE id = $1', [created.body.id]);
    const { account_id: accountId, generation } = rows[0]!;
    const page = (objects: UpstreamObject[], nextCursor: string | null, gen = generation): BackfillPageWrite => ({
      prepared: prepareBatch({ syncId: created.body.id, streamId: created.body.stream_id, collectionId: 'stripe:customer', source: 'backfill', objects }),
      checkpoint:
        nextCursor === null
          ? null
          : {
              type: 'RecordBackfillPage',
              data: { syncId: created.body.id, accountId, generation: gen, collectionId: 'stripe:customer', nextCursor, pageRecords: objects.length, totalCount },
              metadata: { now: new Date() },
            },
    });
    return { id: created.body.id as string, streamId: created.body.stream_id as string, generation, page };
  }

  it('appends only real changes and rebuilds into identical read models', async () => {
    const sync = await pausedSync('sk_test_page', 6);
    const { generation } = sync;
    const ctx = server.app.ctx;
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    try {
      const page = (objects: UpstreamObject[], cursor: string | null, gen?: number) => appendBackfillPages(ctx, [sync.page(objects, cursor, gen)], false);

      expect(await page([object('cus_1'), object('cus_2', { id: 'cus_2', n: 1 })], 'cus_2')).toBe(2);
      // cus_1 unchanged, cus_2 changed, cus_3 twice (its last version counts), cus_9 a delete of a record never stored
      expect(await page([object('cus_1'), object('cus_3', { id: 'cus_3', v: 1 }), object('cus_2', { id: 'cus_2', n: 2 }), object('cus_3', { id: 'cus_3', v: 2 }), object('cus_9', { id: 'cus_9' }, true)], 'cus_9')).toBe(2);
      // nothing changed: no event, but the checkpoint
      expect(await page([object('cus_1')], 'cus_1b')).toBe(0);
      // a stale run's page is refused whole: neither its records nor its checkpoint
      await expect(page([object('cus_4')], 'cus_4', generation + 1)).rejects.toBeInstanceOf(StaleRunError);
      // the last page: records only, and a tombstone
      expect(await page([object('cus_1', { id: 'cus_1' }, true)], null)).toBe(1);

      const events = await db.query<{ type: string; data: { records?: Array<{ upstreamId: string; data: Record<string, unknown> }> } }>(
        `SELECT message_type AS type, message_data AS data FROM emt_messages WHERE stream_id = $1 ORDER BY global_position`,
        [`records-${sync.id}-stripe:customer`],
      );
      expect(events.rows.map((e) => e.data.records!.map((r) => [r.upstreamId, r.data]))).toEqual([
        [['cus_1', { id: 'cus_1' }], ['cus_2', { id: 'cus_2', n: 1 }]],
        [['cus_2', { id: 'cus_2', n: 2 }], ['cus_3', { id: 'cus_3', v: 2 }]],
        [['cus_1', { id: 'cus_1' }]],
      ]);
      const progress = await db.query('SELECT backfill_cursor, backfill_pages, backfill_records, total_count FROM sync_collections WHERE sync_id = $1', [sync.id]);
      expect(progress.rows).toEqual([{ backfill_cursor: 'cus_1b', backfill_pages: 3, backfill_records: 8, total_count: 6 }]);

      const before = await dumpReadModels(db);
      expect(before.stream_heads).toEqual([{ stream_id: sync.streamId, last_idx: 5n }]);
      expect((before.records as Array<{ upstream_id: string; updated_idx: bigint; deleted: boolean }>).map((r) => [r.upstream_id, r.updated_idx, r.deleted]).sort()).toEqual([
        ['cus_1', 5n, true],
        ['cus_2', 3n, false],
        ['cus_3', 4n, false],
      ]);
      await rebuildReadModels(ctx.pool, readModelProjections);
      expect(await dumpReadModels(db)).toEqual(before);
    } finally {
      await db.end();
    }
  });
  it('inserts a page of records none stored yet as the upsert would: each id\'s last version, no tombstone of a record never stored', async () => {
    const sync = await pausedSync('sk_test_new_page', 4);
    const ctx = server.app.ctx;
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    try {
      // migration 0039: none of the page's ids is stored, so its records are inserted plainly
      expect(await appendBackfillPages(ctx, [sync.page([object('cus_a', { id: 'cus_a', v: 1 }), object('cus_b'), object('cus_gone', { id: 'cus_gone' }, true), object('cus_a', { id: 'cus_a', v: 2 })], 'cus_a')], false)).toBe(2);
      const stored = await db.query<{ upstream_id: string; data: Record<string, unknown>; deleted: boolean; first: boolean }>(
        'SELECT upstream_id, data, deleted, first_idx = updated_idx AS first FROM records WHERE sync_id = $1 ORDER BY updated_idx',
        [sync.id],
      );
      expect(stored.rows).toEqual([
        { upstream_id: 'cus_b', data: { id: 'cus_b' }, deleted: false, first: true },
        { upstream_id: 'cus_a', data: { id: 'cus_a', v: 2 }, deleted: false, first: true },
      ]);
      // the next page holds a stored id: the upsert, as before
      expect(await appendBackfillPages(ctx, [sync.page([object('cus_c'), object('cus_b', { id: 'cus_b', n: 1 })], 'cus_c')], false)).toBe(2);
      const written = await dumpReadModels(db);
      await rebuildReadModels(ctx.pool, readModelProjections);
      expect(await dumpReadModels(db)).toEqual(written);
    } finally {
      await db.end();
    }
  });

  it('writes several pages in one statement, each with its event and checkpoint, or none of them', async () => {
    const sync = await pausedSync('sk_test_pages', 7);
    const { generation, page } = sync;
    const ctx = server.app.ctx;
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    try {
      const recordEvents = async () =>
        (
          await db.query<{ data: { records: Array<{ upstreamId: string }> } }>(`SELECT message_data AS data FROM emt_messages WHERE stream_id = $1 ORDER BY global_position`, [
            `records-${sync.id}-stripe:customer`,
          ])
        ).rows.map((e) => e.data.records.map((r) => r.upstreamId));
      const progress = async () =>
        (await db.query('SELECT backfill_cursor, backfill_pages, backfill_records FROM sync_collections WHERE sync_id = $1', [sync.id])).rows[0];

      // cus_2 again on the second page: its last version is a change of the one the first page stored
      expect(await appendBackfillPages(ctx, [page([object('cus_1'), object('cus_2')], 'cus_2'), page([object('cus_2', { id: 'cus_2', n: 1 }), object('cus_3')], 'cus_3'), page([object('cus_1')], 'cus_1b')], true)).toBe(4);
      expect(await recordEvents()).toEqual([['cus_1', 'cus_2'], ['cus_2', 'cus_3']]);
      expect(await progress()).toEqual({ backfill_cursor: 'cus_1b', backfill_pages: 3, backfill_records: 5 });
      const checkpoints = await db.query<{ cursor: string }>(
        `SELECT message_data->>'nextCursor' AS cursor FROM emt_messages WHERE stream_id = $1 AND message_type = 'BackfillPageFetched' ORDER BY global_position`,
        [`sync-${sync.id}`],
      );
      expect(checkpoints.rows.map((r) => r.cursor)).toEqual(['cus_2', 'cus_3', 'cus_1b']);

      // the event log's order is updated_idx order (DESIGN.md §2), across the pages of one statement (the stream is shared with the other test's sync)
      const order = await db.query<{ upstream_id: string; updated_idx: string }>('SELECT upstream_id, updated_idx FROM records WHERE sync_id = $1 ORDER BY updated_idx', [sync.id]);
      const first = Number(order.rows[0]!.updated_idx);
      expect(order.rows.map((r) => [r.upstream_id, Number(r.updated_idx) - first])).toEqual([['cus_1', 0], ['cus_2', 2], ['cus_3', 3]]);

      // a stale run's group (its last page's checkpoint refused) is refused whole: no page's records, events or checkpoint
      const before = await dumpReadModels(db);
      await expect(appendBackfillPages(ctx, [page([object('cus_4')], 'cus_4'), page([object('cus_5')], 'cus_5', generation + 1)], true)).rejects.toBeInstanceOf(StaleRunError);
      expect(await recordEvents()).toHaveLength(2);
      expect(await dumpReadModels(db)).toEqual(before);

      // the last page of a backfill ends a group without a checkpoint
      expect(await appendBackfillPages(ctx, [page([object('cus_4')], 'cus_4'), page([object('cus_5'), object('cus_3', { id: 'cus_3' }, true)], null)], true)).toBe(3);
      expect(await progress()).toEqual({ backfill_cursor: 'cus_4', backfill_pages: 4, backfill_records: 6 });
      const seen = await db.query<{ upstream_id: string }>('SELECT upstream_id FROM backfill_seen WHERE sync_id = $1 ORDER BY upstream_id', [sync.id]);
      expect(seen.rows.map((r) => r.upstream_id)).toEqual(['cus_1', 'cus_2', 'cus_3', 'cus_4', 'cus_5']);

      const written = await dumpReadModels(db);
      await rebuildReadModels(ctx.pool, readModelProjections);
      expect(await dumpReadModels(db)).toEqual(written);
    } finally {
      await db.end();
    }
  });
});
