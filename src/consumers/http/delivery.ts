import type pg from 'pg';
import { statement } from '../../db/prepared-statements.ts';
import { batchAckTokenParser, batchAckTokens } from './ack-tokens.ts';
import type { MessageRef } from '../../domain/http-consumers/events.ts';
import type { MessageKind } from '../../domain/change-events.ts';

/** The consumer settings delivery needs. */
export interface DeliveryConsumer {
  id: string;
  streamId: string;
  syncId: string | null;
  collectionIds: string[] | null;
  /** Only collections `<provider>:…`; null: every provider. */
  provider: string | null;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  /** `record` (each record's latest version) or `event` (every version, as a change event; migration 0059). */
  messageKind: MessageKind;
}

/** `X-Num-Pending` on /next is exact up to this many records, an upper bound beyond (consumerCounts). */
const PENDING_EXACT_UP_TO = 1_000;

export interface Delivered extends MessageRef {
  ackToken: string;
  deliverCount: number;
  updatedIdx: string;
  /**
   * The message as `/next` answers it, `{"ack_token":…,"record":{…}}`: the record's JSON built by
   * PostgreSQL (`syncline_record_json`, prisma/functions/), never parsed and serialized again.
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
  kind: 'dead' | 'leased' | 'batch' | 'cursor';
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  /** bigint: a string or a BigInt, depending on the pg type parsers installed. */
  updated_idx: string | bigint | null;
  ack_token: string | null;
  deliver_count: number | null;
  /** The 'batch' row: the new batch's id and nonce, which its tokens carry. */
  batch_id: string | bigint | null;
  batch_nonce: string | bigint | null;
};

/** A row of `syncline_consumer_counts` (bigints as text, or null where a row carries none). */
type CountsRow = { num_pending: string | null; num_ack_pending: string | null; num_dead: string | null };

/** A message (`record` set) or the counts row of the answer step. */
type AnswerRow = CountsRow & {
  batch_index: number | null;
  ack_token: string | null;
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  updated_idx: string | bigint;
  record: string | null;
};

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
 * Two calls (migration 0031): `leaseNext`, the locked part, and `answerLeased`, which builds the
 * messages' JSON without the lock.
 */
export async function nextMessages(pool: pg.Pool, consumer: DeliveryConsumer, batchSize: number, maxBytes: number | null = null): Promise<NextResult> {
  const lease = await leaseNext(pool, consumer, batchSize, maxBytes);
  if (lease.cursor === null) return { delivered: [], dead: lease.dead, counts: countsFrom(undefined) };
  return { ...(await answerLeased(pool, consumer, lease, lease.cursor)), dead: lease.dead };
}

/** A redelivery leased by `leaseNext`, not yet answered. */
export type Leased = Omit<Delivered, 'json'>;

/** What `leaseNext` leased: redeliveries one by one, and the batch of new deliveries, if any. */
export interface Lease {
  redelivered: Leased[];
  batch: { id: string | bigint; tokenAt: (index: number) => string } | null;
  dead: NextResult['dead'];
  /** Null for a consumer without one (deleted meanwhile). */
  cursor: string | null;
}

/**
 * The locked step of /next (`syncline_next_messages`, migrations 0031 and 0032): the statements
 * run in the database one after the other, each with a fresh snapshot, the cursor row locked only
 * for their own time and the commit. Redeliveries come with their own tokens; the new deliveries
 * are one batch row, whose tokens are written here from its id and nonce (ack-tokens.ts).
 *
 * `maxBytes` bounds the batch by bytes too (migration 0043; null: by count only): the messages
 * leased stop when their records' bytes reach it, always at least one; the rest stays pending.
 */
export async function leaseNext(pool: pg.Pool, consumer: DeliveryConsumer, batchSize: number, maxBytes: number | null = null): Promise<Lease> {
  const next = consumer.messageKind === 'event' ? 'syncline_next_events' : 'syncline_next_messages';
  const { rows } = await pool.query<LeaseRow>(
    // A consumer of change events leases versions (syncline_next_events): same arguments and rows.
    statement(pool, next, `SELECT * FROM ${next}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      consumer.id,
      consumer.syncId,
      consumer.collectionIds,
      consumer.provider,
      consumer.streamId,
      batchSize,
      consumer.ackWaitMs,
      consumer.maxDeliver,
      consumer.maxAckPending,
      maxBytes,
    ]),
  );
  const lease: Lease = { redelivered: [], batch: null, dead: [], cursor: null };
  for (const row of rows) {
    const ref = { syncId: row.sync_id, collectionId: row.collection_id, upstreamId: row.upstream_id };
    if (row.kind === 'cursor') lease.cursor = String(row.updated_idx);
    else if (row.kind === 'dead') lease.dead.push({ ...ref, deliverCount: row.deliver_count! });
    else if (row.kind === 'leased') lease.redelivered.push({ ...ref, updatedIdx: String(row.updated_idx), ackToken: row.ack_token!, deliverCount: row.deliver_count! });
    else lease.batch = { id: row.batch_id!, tokenAt: batchAckTokens(row.batch_id!, row.batch_nonce!) };
  }
  return lease;
}

/**
 * The answer step of /next, after the lease commit: `syncline_delivered_messages` builds the
 * records' JSON at the versions leased (a record that changed in between is left out and its
 * lease dropped: the cursor delivers the new version) and `syncline_consumer_counts` counts what
 * the answer's headers carry, past `cursor`.
 */
export async function answerLeased(pool: pg.Pool, consumer: DeliveryConsumer, lease: Lease, cursor: string): Promise<Omit<NextResult, 'dead'>> {
  const redelivered = lease.redelivered;
  const answer = await pool.query<AnswerRow>(
    statement(
      pool,
      `syncline_next_answer_${consumer.messageKind}`,
      `SELECT m.*, NULL::bigint AS num_pending, NULL::bigint AS num_ack_pending, NULL::bigint AS num_dead
       FROM ${consumer.messageKind === 'event' ? 'syncline_delivered_events' : 'syncline_delivered_messages'}($1, $8, $2, $3, $4, $5, $6, $7) m
       UNION ALL
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.num_pending, c.num_ack_pending, c.num_dead FROM syncline_consumer_counts($1, $8, $9, $10, $13, $11, $12) c`,
      [
        consumer.id,
        lease.batch?.id ?? null,
        redelivered.map((l) => l.ackToken),
        redelivered.map((l) => l.syncId),
        redelivered.map((l) => l.collectionId),
        redelivered.map((l) => l.upstreamId),
        redelivered.map((l) => l.updatedIdx),
        consumer.streamId,
        consumer.syncId,
        consumer.collectionIds,
        cursor,
        PENDING_EXACT_UP_TO,
        consumer.provider,
      ],
    ),
  );
  const byToken = new Map(redelivered.map((l) => [l.ackToken, l]));
  const delivered: Delivered[] = [];
  let counts = countsFrom(undefined);
  for (const row of answer.rows) {
    if (row.record === null) {
      counts = countsFrom(row);
      continue;
    }
    const ackToken = row.batch_index === null ? row.ack_token! : lease.batch!.tokenAt(row.batch_index);
    delivered.push({
      syncId: row.sync_id,
      collectionId: row.collection_id,
      upstreamId: row.upstream_id,
      updatedIdx: String(row.updated_idx),
      ackToken,
      deliverCount: row.batch_index === null ? byToken.get(ackToken)!.deliverCount : 1,
      // An event's text is an object of its own: the token goes first in it.
      json: consumer.messageKind === 'event' ? `{"ack_token":"${ackToken}",${row.record.slice(1)}` : `{"ack_token":"${ackToken}","record":${row.record}}`,
    });
  }
  return { delivered, counts };
}

export interface AckResult {
  acked: (MessageRef & { ackToken: string })[];
  /** Tokens that were unknown, expired or superseded by a redelivery. */
  invalid: string[];
}

/** The tokens as `syncline_ack_messages` and `syncline_nack_messages` take them: with their batch parts. */
function tokenParams(tokens: string[]) {
  const parts = tokens.map(batchAckTokenParser());
  return { batchIds: parts.map((p) => p?.batchId ?? null), indexes: parts.map((p) => p?.index ?? null), nonces: parts.map((p) => p?.nonce ?? null) };
}

type TokenRow = { sync_id: string; collection_id: string; upstream_id: string; ack_token: string };

function ackResult(tokens: string[], rows: TokenRow[]): AckResult {
  const done = new Set(rows.map((r) => r.ack_token));
  return {
    acked: rows.map((r) => ({ syncId: r.sync_id, collectionId: r.collection_id, upstreamId: r.upstream_id, ackToken: r.ack_token })),
    // PostgreSQL answers a UUID in lowercase; a client may have sent it in capitals.
    invalid: tokens.filter((t) => !done.has(t.toLowerCase())),
  };
}

/**
 * Removes live leases by token (`syncline_ack_messages`, prisma/functions/): in their batch, or one
 * per message. A record that changed while leased gets a due lease for its new version
 * (delivered by the next call) instead of being forgotten.
 */
export async function ackMessages(pool: pg.Pool, consumer: Pick<DeliveryConsumer, 'id' | 'streamId'>, tokens: string[]): Promise<AckResult> {
  const { batchIds, indexes, nonces } = tokenParams(tokens);
  const { rows } = await pool.query<TokenRow>(
    statement(pool, 'syncline_ack', `SELECT * FROM syncline_ack_messages($1, $2, $3, $4, $5, $6)`, [consumer.id, consumer.streamId, tokens, batchIds, indexes, nonces]),
  );
  return ackResult(tokens, rows);
}

/** Makes live leases due again after `delayMs` (0 = at once). */
export async function nackMessages(pool: pg.Pool, consumerId: string, tokens: string[], delayMs: number): Promise<AckResult> {
  const { rows } = await pool.query<TokenRow>(`SELECT * FROM syncline_nack_messages($1, $2, $3, $4)`, [consumerId, tokens, tokenParams(tokens).batchIds, delayMs]);
  return ackResult(tokens, rows);
}

/**
 * num_pending: records past the cursor (and changed versions waiting behind an ack);
 * num_ack_pending: delivered, not yet acked; num_dead: dropped after max_deliver.
 *
 * Exact counts, for inspection: counting the records past the cursor scans all of them. `/next`
 * answers cap that count (PENDING_EXACT_UP_TO, see answerLeased) so that a call costs the same
 * with 10 or 10 million records waiting. Both follow `syncline_consumer_counts`.
 *
 * One statement for any number of consumers (a page of a list): keyed by consumer id.
 */
export async function consumerCounts(pool: pg.Pool | pg.PoolClient, consumers: readonly DeliveryConsumer[]): Promise<Map<string, Counts>> {
  if (consumers.length === 0) return new Map();
  const { rows } = await pool.query<CountsRow & { consumer_id: string }>(
    `SELECT c.id AS consumer_id, k.num_pending, k.num_ack_pending, k.num_dead
     FROM jsonb_to_recordset($1::jsonb) AS c(id uuid, stream_id uuid, sync_id uuid, collection_ids text[], provider text)
     CROSS JOIN LATERAL syncline_consumer_counts(c.id, c.stream_id, c.sync_id, c.collection_ids, c.provider, (SELECT cursor FROM consumer_cursors WHERE consumer_id = c.id), NULL) k`,
    [JSON.stringify(consumers.map((c) => ({ id: c.id, stream_id: c.streamId, sync_id: c.syncId, collection_ids: c.collectionIds, provider: c.provider })))],
  );
  const byId = new Map(rows.map((row) => [row.consumer_id, row]));
  return new Map(consumers.map((c) => [c.id, countsFrom(byId.get(c.id))]));
}
