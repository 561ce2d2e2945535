import type pg from 'pg';
import { statement } from '../db/prepared-statements.ts';
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

/** `X-Num-Pending` on /next is exact up to this many records, an upper bound beyond (consumerCounts). */
const PENDING_EXACT_UP_TO = 1_000;

export interface Delivered extends MessageRef {
  ackToken: string;
  deliverCount: number;
  updatedIdx: string;
  /**
   * The message as `/next` answers it, `{"ack_token":…,"record":{…}}`, built by PostgreSQL
   * (`syncline_message_json`, migration 0011): a batch is never parsed and serialized again.
   */
  json: string;
}

export interface Counts {
  numPending: number;
  numAckPending: number;
  numDead: number;
}

export interface NextResult {
  delivered: Delivered[];
  dead: (MessageRef & { deliverCount: number })[];
  /** After this call's leases; `numPending` exact up to PENDING_EXACT_UP_TO (see consumerCounts). */
  counts: Counts;
}

type LeaseRow = {
  kind: 'dead' | 'leased' | 'cursor';
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  /** bigint: a string or a BigInt, depending on the pg type parsers installed. */
  updated_idx: string | bigint | null;
  ack_token: string | null;
  deliver_count: number | null;
};

/** A row of `syncline_consumer_counts` (bigints as text, or null where a row carries none). */
type CountsRow = { num_pending: string | null; num_ack_pending: string | null; num_dead: string | null };

type AnswerRow = CountsRow & { ack_token: string | null; message: string | null };

const countsFrom = (row: CountsRow | undefined): Counts => ({
  numPending: Number(row?.num_pending ?? 0),
  numAckPending: Number(row?.num_ack_pending ?? 0),
  numDead: Number(row?.num_dead ?? 0),
});

/**
 * Leases up to `batchSize` messages: first expired leases (redelivered with the record's latest
 * version, or dead-lettered at max_deliver), then records past the cursor. The cursor row lock
 * serializes concurrent callers, so no record is ever leased twice while its lease is live. A
 * record that changed while leased is skipped here and redelivered after the ack or expiry.
 *
 * Two calls (migration 0031). `syncline_next_messages` is the locked part: the statements run in
 * the database one after the other, each with a fresh snapshot, the cursor row locked only for
 * their own time and the commit; it answers the leases and the new cursor. Then, without the
 * lock, `syncline_delivered_messages` builds the messages' JSON at the versions leased (a record
 * that changed in between is left out and its lease dropped: the cursor delivers the new version)
 * and `syncline_consumer_counts` counts what the answer's headers carry.
 */
export async function nextMessages(pool: pg.Pool, consumer: DeliveryConsumer, batchSize: number): Promise<NextResult> {
  const { rows } = await pool.query<LeaseRow>(
    statement(pool, 'syncline_next_messages', `SELECT * FROM syncline_next_messages($1, $2, $3, $4, $5, $6, $7, $8)`, [
      consumer.id,
      consumer.syncId,
      consumer.collectionIds,
      consumer.streamId,
      batchSize,
      consumer.ackWaitMs,
      consumer.maxDeliver,
      consumer.maxAckPending,
    ]),
  );
  const leased: LeaseRow[] = [];
  const dead: NextResult['dead'] = [];
  let cursor: string | null = null;
  for (const row of rows) {
    if (row.kind === 'cursor') cursor = String(row.updated_idx);
    else if (row.kind === 'dead') dead.push({ syncId: row.sync_id, collectionId: row.collection_id, upstreamId: row.upstream_id, deliverCount: row.deliver_count! });
    else leased.push(row);
  }
  if (cursor === null) return { delivered: [], dead, counts: countsFrom(undefined) };

  const answer = await pool.query<AnswerRow>(
    statement(
      pool,
      'syncline_next_answer',
      `SELECT m.ack_token, m.message, NULL::bigint AS num_pending, NULL::bigint AS num_ack_pending, NULL::bigint AS num_dead
       FROM syncline_delivered_messages($1, $2, $3, $4, $5, $6) m
       UNION ALL
       SELECT NULL, NULL, c.num_pending, c.num_ack_pending, c.num_dead FROM syncline_consumer_counts($1, $7, $8, $9, $10, $11) c`,
      [
        consumer.id,
        leased.map((l) => l.ack_token),
        leased.map((l) => l.sync_id),
        leased.map((l) => l.collection_id),
        leased.map((l) => l.upstream_id),
        leased.map((l) => String(l.updated_idx)),
        consumer.streamId,
        consumer.syncId,
        consumer.collectionIds,
        cursor,
        PENDING_EXACT_UP_TO,
      ],
    ),
  );
  const messages = new Map<string, string>();
  let counts = countsFrom(undefined);
  for (const row of answer.rows) {
    if (row.ack_token === null) counts = countsFrom(row);
    else messages.set(row.ack_token, row.message!);
  }
  const delivered: Delivered[] = [];
  for (const l of leased) {
    const json = messages.get(l.ack_token!);
    if (json === undefined) continue;
    delivered.push({
      syncId: l.sync_id,
      collectionId: l.collection_id,
      upstreamId: l.upstream_id,
      updatedIdx: String(l.updated_idx),
      ackToken: l.ack_token!,
      deliverCount: l.deliver_count!,
      json,
    });
  }
  return { delivered, dead, counts };
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
    statement(
      pool,
      'syncline_ack',
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
    ),
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
 * The rule is `syncline_consumer_counts` (migration 0031), which `/next` calls too.
 */
export async function consumerCounts(pool: pg.Pool | pg.PoolClient, consumer: DeliveryConsumer, options: { exactUpTo?: number } = {}): Promise<Counts> {
  const { rows } = await pool.query<CountsRow>(
    `SELECT * FROM syncline_consumer_counts($1, $2, $3, $4, (SELECT cursor FROM consumer_cursors WHERE consumer_id = $1), $5)`,
    [consumer.id, consumer.streamId, consumer.syncId, consumer.collectionIds, options.exactUpTo ?? null],
  );
  return countsFrom(rows[0]);
}

export function toMessageDeliveries(delivered: Delivered[]): MessageDelivery[] {
  return delivered.map((d) => ({
    syncId: d.syncId,
    collectionId: d.collectionId,
    upstreamId: d.upstreamId,
    updatedIdx: d.updatedIdx,
    ackToken: d.ackToken,
    deliverCount: d.deliverCount,
  }));
}
