import type pg from 'pg';
import type { MessageDelivery, MessageRef } from '../domain/consumers/events.ts';

/** The consumer settings delivery needs. */
export interface DeliveryConsumer {
  id: string;
  streamId: string;
  syncId: string | null;
  collectionIds: string[] | null;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
}

export interface RecordRow {
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  updated_idx: string;
  data: Record<string, unknown>;
  deleted: boolean;
  upstream_created_at: Date | null;
  upstream_updated_at: Date | null;
}

export interface Delivered {
  ackToken: string;
  deliverCount: number;
  record: RecordRow;
}

export interface NextResult {
  delivered: Delivered[];
  dead: (MessageRef & { deliverCount: number })[];
}

export interface Counts {
  numPending: number;
  numAckPending: number;
  numDead: number;
}

const RECORD_COLUMNS = 'r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.data, r.deleted, r.upstream_created_at, r.upstream_updated_at';
const FILTER = `($2::uuid IS NULL OR r.sync_id = $2) AND ($3::text[] IS NULL OR r.collection_id = ANY($3))`;

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Leases up to `batchSize` messages: first expired leases (redelivered with the record's latest
 * version, or dead-lettered at max_deliver), then records past the cursor. The cursor row lock
 * serializes concurrent callers, so no record is ever leased twice while its lease is live. A
 * record that changed while leased is skipped here and redelivered after the ack or expiry.
 */
export async function nextMessages(pool: pg.Pool, consumer: DeliveryConsumer, batchSize: number): Promise<NextResult> {
  return inTransaction(pool, async (db) => {
    const cursorRow = await db.query<{ cursor: string }>('SELECT cursor FROM consumer_cursors WHERE consumer_id = $1 FOR UPDATE', [consumer.id]);
    const cursor = cursorRow.rows[0]?.cursor;
    if (cursor === undefined) return { delivered: [], dead: [] };

    const dead = consumer.maxDeliver === -1 ? { rows: [] } : await db.query<MessageRef & { deliverCount: number }>(
      `UPDATE consumer_leases SET dead = true, dead_at = now()
       WHERE consumer_id = $1 AND NOT dead AND deadline <= now() AND deliver_count >= $2
       RETURNING sync_id AS "syncId", collection_id AS "collectionId", upstream_id AS "upstreamId", deliver_count AS "deliverCount"`,
      [consumer.id, consumer.maxDeliver],
    );

    const redelivered = await db.query<RecordRow & { ack_token: string; deliver_count: number }>(
      `WITH due AS (
         SELECT consumer_id, sync_id, collection_id, upstream_id FROM consumer_leases
         WHERE consumer_id = $1 AND NOT dead AND deadline <= now()
         ORDER BY deadline, updated_idx LIMIT $2
       ), leased AS (
         UPDATE consumer_leases l SET deliver_count = l.deliver_count + 1, ack_token = gen_random_uuid(),
           deadline = now() + make_interval(secs => $3::double precision / 1000), updated_idx = r.updated_idx
         FROM due, records r
         WHERE l.consumer_id = due.consumer_id AND l.sync_id = due.sync_id AND l.collection_id = due.collection_id AND l.upstream_id = due.upstream_id
           AND r.sync_id = l.sync_id AND r.collection_id = l.collection_id AND r.upstream_id = l.upstream_id
         RETURNING l.ack_token, l.deliver_count, ${RECORD_COLUMNS}
       )
       SELECT * FROM leased ORDER BY updated_idx`,
      [consumer.id, batchSize, consumer.ackWaitMs],
    );

    const delivered: Delivered[] = redelivered.rows.map(toDelivered);
    const room = batchSize - delivered.length;
    if (room > 0) {
      // New leases fill the batch, up to max_ack_pending live leases in all.
      const fresh = await db.query<RecordRow & { ack_token: string | null; deliver_count: number | null; scanned_idx: string }>(
        // The scan's LIMIT stays a plain parameter: a computed one hides it from the planner, which
        // then sorts every record past the cursor. max_ack_pending trims the scanned rows after.
        `WITH scanned AS (
           SELECT ${RECORD_COLUMNS} FROM records r
           WHERE r.stream_id = $4 AND r.updated_idx > $5 AND ${FILTER}
           ORDER BY r.updated_idx LIMIT $6
         ), candidates AS (
           SELECT * FROM scanned ORDER BY updated_idx
           LIMIT GREATEST(0, $8::int - (SELECT count(*) FROM consumer_leases WHERE consumer_id = $1 AND NOT dead))
         ), leased AS (
           INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
           SELECT $1, c.sync_id, c.collection_id, c.upstream_id, c.updated_idx, gen_random_uuid(), 1, now() + make_interval(secs => $7::double precision / 1000)
           FROM candidates c
           ON CONFLICT (consumer_id, sync_id, collection_id, upstream_id) DO UPDATE
             SET updated_idx = EXCLUDED.updated_idx, ack_token = EXCLUDED.ack_token, deliver_count = 1, deadline = EXCLUDED.deadline, dead = false, dead_at = NULL
             WHERE consumer_leases.dead
           RETURNING sync_id, collection_id, upstream_id, ack_token, deliver_count
         )
         SELECT c.*, l.ack_token, l.deliver_count, (SELECT max(updated_idx) FROM candidates) AS scanned_idx
         FROM candidates c LEFT JOIN leased l USING (sync_id, collection_id, upstream_id)
         ORDER BY c.updated_idx`,
        [consumer.id, consumer.syncId, consumer.collectionIds, consumer.streamId, cursor, room, consumer.ackWaitMs, consumer.maxAckPending],
      );
      for (const row of fresh.rows) if (row.ack_token) delivered.push(toDelivered(row as RecordRow & { ack_token: string; deliver_count: number }));
      const scanned = fresh.rows[0]?.scanned_idx;
      if (scanned) await db.query('UPDATE consumer_cursors SET cursor = $2 WHERE consumer_id = $1', [consumer.id, scanned]);
    }
    return { delivered, dead: dead.rows };
  });
}

function toDelivered(row: RecordRow & { ack_token: string; deliver_count: number }): Delivered {
  const { ack_token, deliver_count, ...record } = row;
  delete (record as Partial<{ scanned_idx: string }>).scanned_idx;
  return { ackToken: ack_token, deliverCount: deliver_count, record };
}

export interface AckResult {
  acked: (MessageRef & { ackToken: string })[];
  /** Tokens that were unknown, expired or superseded by a redelivery. */
  invalid: string[];
}

/**
 * Removes live leases by token. A record that changed while leased gets a due lease for its new
 * version (delivered by the next call) instead of being forgotten.
 */
export async function ackMessages(pool: pg.Pool, consumerId: string, tokens: string[]): Promise<AckResult> {
  const { rows } = await pool.query<MessageRef & { ackToken: string }>(
    `WITH acked AS (
       DELETE FROM consumer_leases l USING unnest($2::uuid[]) AS t(token)
       WHERE l.ack_token = t.token AND l.consumer_id = $1 AND NOT l.dead AND l.deadline > now()
       RETURNING l.*
     ), newer AS (
       INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
       SELECT a.consumer_id, a.sync_id, a.collection_id, a.upstream_id, a.latest_idx, gen_random_uuid(), 0, now()
       FROM (
         -- A scalar subquery keeps this a primary-key lookup per acked record.
         SELECT acked.*, (SELECT r.updated_idx FROM records r
                          WHERE r.sync_id = acked.sync_id AND r.collection_id = acked.collection_id AND r.upstream_id = acked.upstream_id) AS latest_idx
         FROM acked
       ) a
       WHERE a.latest_idx > a.updated_idx
       RETURNING 1
     )
     SELECT sync_id AS "syncId", collection_id AS "collectionId", upstream_id AS "upstreamId", ack_token::text AS "ackToken", (SELECT count(*) FROM newer) AS newer
     FROM acked`,
    [consumerId, tokens],
  );
  const acked = new Set(rows.map((r) => r.ackToken));
  return { acked: rows.map(({ syncId, collectionId, upstreamId, ackToken }) => ({ syncId, collectionId, upstreamId, ackToken })), invalid: tokens.filter((t) => !acked.has(t)) };
}

/** Makes live leases due again after `delayMs` (0 = at once). */
export async function nackMessages(pool: pg.Pool, consumerId: string, tokens: string[], delayMs: number): Promise<AckResult> {
  const { rows } = await pool.query<MessageRef & { ackToken: string }>(
    `UPDATE consumer_leases l SET deadline = now() + make_interval(secs => $3::double precision / 1000)
     FROM unnest($2::uuid[]) AS t(token)
     WHERE l.ack_token = t.token AND l.consumer_id = $1 AND NOT l.dead AND l.deadline > now()
     RETURNING sync_id AS "syncId", collection_id AS "collectionId", upstream_id AS "upstreamId", ack_token::text AS "ackToken"`,
    [consumerId, tokens, delayMs],
  );
  const nacked = new Set(rows.map((r) => r.ackToken));
  return { acked: rows, invalid: tokens.filter((t) => !nacked.has(t)) };
}

/**
 * num_pending: records past the cursor (and changed versions waiting behind an ack);
 * num_ack_pending: delivered, not yet acked; num_dead: dropped after max_deliver.
 *
 * Counting the records past the cursor costs a scan of all of them. With `exactUpTo`, the count
 * stops there and, beyond it, `num_pending` is the number of versions appended to the stream
 * after the cursor: an upper bound (superseded versions and other syncs' records are included).
 * `/next` answers use it so that a call costs the same with 10 or 10 million records waiting.
 */
export async function consumerCounts(pool: pg.Pool | pg.PoolClient, consumer: DeliveryConsumer, options: { exactUpTo?: number } = {}): Promise<Counts> {
  const cap = options.exactUpTo ?? null;
  const { rows } = await pool.query<{ pending: string; appended: string | null; waiting: string; ack_pending: string; dead: string }>(
    `WITH cursor AS (SELECT cursor FROM consumer_cursors WHERE consumer_id = $1)
     SELECT
       (SELECT count(*) FROM (
          SELECT 1 FROM records r WHERE r.stream_id = $4 AND r.updated_idx > (SELECT cursor FROM cursor) AND ${FILTER} LIMIT $5
        ) past) AS pending,
       (SELECT h.last_idx - (SELECT cursor FROM cursor) FROM stream_heads h WHERE h.stream_id = $4) AS appended,
       count(*) FILTER (WHERE NOT dead AND deliver_count = 0) AS waiting,
       count(*) FILTER (WHERE NOT dead AND deliver_count > 0) AS ack_pending,
       count(*) FILTER (WHERE dead) AS dead
     FROM consumer_leases WHERE consumer_id = $1`,
    [consumer.id, consumer.syncId, consumer.collectionIds, consumer.streamId, cap],
  );
  const row = rows[0]!;
  const counted = Number(row.pending);
  const pastCursor = cap !== null && counted >= cap ? Math.max(counted, Number(row.appended ?? 0)) : counted;
  return { numPending: pastCursor + Number(row.waiting), numAckPending: Number(row.ack_pending), numDead: Number(row.dead) };
}

export function toMessageDeliveries(delivered: Delivered[]): MessageDelivery[] {
  return delivered.map((d) => ({
    syncId: d.record.sync_id,
    collectionId: d.record.collection_id,
    upstreamId: d.record.upstream_id,
    updatedIdx: String(d.record.updated_idx),
    ackToken: d.ackToken,
    deliverCount: d.deliverCount,
  }));
}
