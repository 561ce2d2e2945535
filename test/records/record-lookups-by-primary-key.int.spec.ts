import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendBackfillPages, prepareBatch } from '../../src/sync/ingest/backfill-pages.ts';
import { storedRecordsSql } from '../../src/sync/ingest/stored-records.ts';
import type { UpstreamObject } from '../../src/sync/providers/provider.ts';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const customers = (prefix: string, from: number, count: number): UpstreamObject[] =>
  Array.from({ length: count }, (_, i) => ({
    upstreamId: `${prefix}_${from + i}`,
    data: { id: `${prefix}_${from + i}`, object: 'customer', n: from + i },
    upstreamCreatedAt: null,
    upstreamUpdatedAt: null,
    deleted: false,
  }));

/**
 * A sync newer than the last ANALYZE of records (another sync's records filled the statistics)
 * is estimated at one record when its id is planned as a constant; records_sync_idx then looks
 * cheaper than the primary key, and each lookup of a record by key read every record of the sync
 * (a second sync after a restart backfilled 14× slower, slower with every page). The lookups must
 * go through the primary key whatever the statistics say (migration 0038, storedRecordsSql).
 */
describe('records looked up by key, for a sync the statistics do not know', () => {
  let server: TestServer;
  let older: string;
  let newer: { id: string; streamId: string };
  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    const sync = async () => {
      const created = await root.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential: { properties: { kind: 'stripe', secret: 'sk_test_lookups' } } });
      await root.post(`/v1/syncs/${created.body.id}/pause`);
      return { id: created.body.id as string, streamId: created.body.stream_id as string };
    };
    const first = await sync();
    older = first.id;
    for (let page = 0; page < 20; page++) {
      const batch = { syncId: first.id, streamId: first.streamId, collectionId: 'stripe:customer', source: 'backfill' as const, objects: customers('cus_old', page * 100, 100) };
      await appendBackfillPages(server.app.ctx, [{ prepared: prepareBatch(batch), checkpoint: null }], false);
    }
    await server.app.ctx.pool.query('ANALYZE records');
    newer = await sync();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Runs `work` on a new connection (no cached plans) in a transaction it rolls back; the index scans it made. */
  async function indexScans(work: (db: pg.Client) => Promise<void>) {
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    try {
      await db.query('BEGIN');
      await work(db);
      const { rows } = await db.query<{ pkey: string; sync_idx: string }>(
        `SELECT pg_stat_get_xact_numscans('records_pkey'::regclass) AS pkey, pg_stat_get_xact_numscans('records_sync_idx'::regclass) AS sync_idx`,
      );
      await db.query('ROLLBACK');
      return { pkey: Number(rows[0]!.pkey), syncIdx: Number(rows[0]!.sync_idx) };
    } finally {
      await db.end();
    }
  }

  it('the statistics know only the older sync', async () => {
    const { rows } = await server.app.ctx.pool.query<{ values: string }>(`SELECT most_common_vals::text AS values FROM pg_stats WHERE tablename = 'records' AND attname = 'sync_id'`);
    expect(rows[0]?.values).toBe(`{${older}}`);
  });

  it("a backfill page's comparison", async () => {
    const scans = await indexScans(async (db) => {
      // More pages than the plan cache's 5 custom plans before it weighs a generic one.
      for (let page = 0; page < 8; page++) {
        const batch = { syncId: newer.id, streamId: newer.streamId, collectionId: 'stripe:customer', source: 'backfill' as const, objects: customers('cus_new', page * 10, 10) };
        const { rows } = await db.query<{ changed: number }>('SELECT changed FROM syncline_write_backfill_page($1::jsonb, false, NULL)', [prepareBatch(batch).eventJson]);
        expect(rows[0]!.changed).toBe(10);
      }
    });
    expect(scans.syncIdx).toBe(0);
    // Each lookup, and each insert's conflict check, goes through the primary key.
    expect(scans.pkey).toBeGreaterThanOrEqual(8 * 10);
  });

  it('the stored versions of a batch of changes', async () => {
    const scans = await indexScans(async (db) => {
      for (let i = 0; i < 8; i++) {
        const { rows } = await db.query(storedRecordsSql('data_hash, deleted'), [newer.id, 'stripe:customer', ['cus_new_1', 'cus_new_2', 'cus_old_3']]);
        expect(rows).toEqual([]);
      }
    });
    expect(scans).toEqual({ pkey: 8 * 3, syncIdx: 0 });
  });
});
