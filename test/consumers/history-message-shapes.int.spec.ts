import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageGroups } from '../../src/consumers/http/message-groups.ts';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../support/database.ts';

/** History events appended before migration 0035 list messages as objects; later ones as columns. Both read alike. */
describe('delivery-history events: messages as objects (before migration 0035) and as columns', () => {
  let db: MigratedTestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createMigratedTestDatabase(1);
    pool = db.pool;
  });

  afterAll(() => db?.close());

  const messages = [
    { syncId: 's1', collectionId: 'stripe:customer', upstreamId: 'cus_1', updatedIdx: '7', ackToken: 't1', deliverCount: 1 },
    { syncId: 's1', collectionId: 'stripe:invoice', upstreamId: 'in_1', updatedIdx: '8', ackToken: 't2', deliverCount: 2 },
    { syncId: 's1', collectionId: 'stripe:customer', upstreamId: 'cus_2', updatedIdx: '9', ackToken: 't3', deliverCount: 1 },
  ];
  const read = async (data: unknown) =>
    (await pool.query('SELECT n::int, sync_id, collection_id, upstream_id, updated_idx, deliver_count FROM syncline_history_messages($1::jsonb) ORDER BY n', [JSON.stringify(data)])).rows;

  it('reads the same messages from both shapes, grouped by sync and collection in the new one', async () => {
    const groups = messageGroups(messages, { ackTokens: (m) => m.ackToken, updatedIdx: (m) => m.updatedIdx, deliverCounts: (m) => m.deliverCount });
    expect(groups.map((g) => [g.collectionId, g.upstreamIds])).toEqual([
      ['stripe:customer', ['cus_1', 'cus_2']],
      ['stripe:invoice', ['in_1']],
    ]);
    const old = await read({ consumerId: 'c', at: '2026-12-01T00:00:00.000Z', messages });
    const now = await read({ consumerId: 'c', at: '2026-12-01T00:00:00.000Z', groups });
    // The same messages; only their order differs (grouped by collection in the new shape).
    const byId = (rows: { n: number; upstream_id: string }[]) => rows.map(({ n: _n, ...r }) => r).sort((a, b) => a.upstream_id.localeCompare(b.upstream_id));
    expect(byId(now)).toEqual(byId(old));
    expect(now.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(old[1]).toEqual({ n: 2, sync_id: 's1', collection_id: 'stripe:invoice', upstream_id: 'in_1', updated_idx: '8', deliver_count: 2 });
    // Columns an event type does not carry read as null (an ack names no version or deliver count).
    expect(await read({ groups: messageGroups(messages.slice(0, 1), { ackTokens: (m) => m.ackToken }) })).toEqual([
      { n: 1, sync_id: 's1', collection_id: 'stripe:customer', upstream_id: 'cus_1', updated_idx: null, deliver_count: null },
    ]);
  });
});
