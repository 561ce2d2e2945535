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

const FILTER = `($2::uuid IS NULL OR r.sync_id = $2) AND ($3::text[] IS NULL OR r.collection_id = ANY($3))`;

/**
 * Leases up to `batchSize` messages: first expired leases (redelivered with the record's latest
 * version, or dead-lettered at max_deliver), then records past the cursor. The cursor row lock
 * serializes concurrent callers, so no record is ever leased twice while its lease is live. A
 * record that changed while leased is skipped here and redelivered after the ack or expiry.
 *
 * One call of `syncline_next_messages` (migration 0010): the statements run in the database one
 * after the other, each with a fresh snapshot, as they did when sent one by one in a transaction;
 * the cursor row stays locked only for their own time and the commit.
 */
export async function nextMessages(pool: pg.Pool, consumer: DeliveryConsumer, batchSize: number): Promise<NextResult> {
  const { rows } = await pool.query<RecordRow & { kind: 'dead' | 'leased'; ack_token: string | null; deliver_count: number }>(
    `SELECT * FROM syncline_next_messages($1, $2, $3, $4, $5, $6, $7, $8)`,
    [consumer.id, consumer.syncId, consumer.collectionIds, consumer.streamId, batchSize, consumer.ackWaitMs, consumer.maxDeliver, consumer.maxAckPending],
  );
  const delivered: Delivered[] = [];
  const dead: NextResult['dead'] = [];
  for (const { kind, ack_token, deliver_count, ...record } of rows) {
    if (kind === 'dead') dead.push({ syncId: record.sync_id, collectionId: record.collection_id, upstreamId: record.upstream_id, deliverCount: deliver_count });
    else delivered.push({ ackToken: ack_token!, deliverCount: deliver_count, record });
  }
  return { delivered, dead };
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
