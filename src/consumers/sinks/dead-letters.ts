import type pg from 'pg';
import type { QueryResultRow } from 'pg';
import type { AppContext } from '../../app-context.ts';
import { BadRequestError } from '../../errors.ts';
import type { RecordRow } from '../../projections/record-row.ts';
import { excerpt } from './deliveries.ts';
import { toStoredRetry, unlessGone, type RetryInfo } from './runtime.ts';
import type { SinkRecordKey } from './sink.ts';

/**
 * Dead letters (DELIVERY.md, "Dead letters"): the records of a batch that ran out of attempts
 * (`maxDeliver`) or of its retry window. For a consumer of records, one row per record and
 * consumer: a later dead letter of the same record replaces it. For a consumer of change events,
 * one row per version (its `updated_idx`): every event is history of its own. Delivery goes on
 * behind them.
 *
 * Redelivery: `redeliverSinkDeadLetters` flags rows and bumps the consumer's
 * `redelivery_requested`; the runner, before its next window, hands the flagged records to the
 * writer again, in stream order and in batches like any other, and drops the rows it delivered.
 * Records: their current versions, read from `records`; a record changed since its dead letter is
 * not redelivered (its newer version was delivered or is on its way in stream order). Change
 * events: the very versions, read from `record_versions`.
 */

type RecordKey = Pick<RecordRow, 'sync_id' | 'collection_id' | 'upstream_id' | 'updated_idx'>;

// String(): the server's pool parses int8 as bigint (Emmett's type parser), which JSON cannot hold.
const keysParam = (rows: readonly RecordKey[]) =>
  JSON.stringify(rows.map((r) => ({ sync_id: r.sync_id, collection_id: r.collection_id, upstream_id: r.upstream_id, updated_idx: String(r.updated_idx) })));

/**
 * The batch's records become dead letters, and its retry entry says so (a restart does not try
 * it again before the window moves on), in one statement. `perVersion` (change events): each
 * version is a dead letter of its own; else a record's other dead letter is replaced.
 */
export async function deadLetterBatch(
  pool: pg.Pool,
  consumerId: string,
  batch: { id: string; rows: readonly SinkRecordKey[] },
  retry: RetryInfo,
  failure: { lastError: string; lastAttemptAt: Date; deadAt: Date },
  options: { perVersion: boolean } = { perVersion: false },
): Promise<void> {
  await unlessGone(
    pool.query(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(sync_id uuid, collection_id text, upstream_id text, updated_idx bigint)),
       replaced AS (
         DELETE FROM sink_dead_letters d USING r
         WHERE NOT $10::boolean AND d.consumer_id = $1 AND d.sync_id = r.sync_id AND d.collection_id = r.collection_id AND d.upstream_id = r.upstream_id
           AND d.updated_idx <> r.updated_idx),
       dead AS (
         INSERT INTO sink_dead_letters AS d (consumer_id, sync_id, collection_id, upstream_id, updated_idx, batch_id, attempts, last_error, first_attempt_at, last_attempt_at, dead_at)
         SELECT $1, r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, $3, $4, $5, $6, $7, $8 FROM r
         ON CONFLICT (consumer_id, sync_id, collection_id, upstream_id, updated_idx) DO UPDATE SET
           batch_id = excluded.batch_id, attempts = excluded.attempts, last_error = excluded.last_error,
           first_attempt_at = excluded.first_attempt_at, last_attempt_at = excluded.last_attempt_at, dead_at = excluded.dead_at, redeliver = false)
       UPDATE sink_runtime SET retrying = retrying || jsonb_build_object($3::text, $9::jsonb), updated_at = now() WHERE consumer_id = $1`,
      [
        consumerId,
        keysParam(batch.rows),
        batch.id,
        retry.attempts,
        excerpt(failure.lastError) ?? '',
        retry.firstFailedAt,
        failure.lastAttemptAt,
        failure.deadAt,
        JSON.stringify(toStoredRetry({ ...retry, dead: true })),
        options.perVersion,
      ],
    ),
  );
}

/**
 * The records flagged for redelivery, in stream order: at most `limit` and, past the first, at
 * most `maxBytes` of them, each as `columns` of `c` (a row of `from`) say. From `records`: a
 * flagged record that is gone, or that has a newer version (delivered since, or on its way in
 * stream order; a newer version that failed too replaced this dead letter), is not redelivered:
 * its flag is dropped. From `record_versions` (change events): the dead version itself.
 */
export async function takeRedeliveries<R extends QueryResultRow>(
  pool: pg.Pool,
  consumerId: string,
  position: bigint,
  limit: number,
  maxBytes: number,
  columns: string,
  from: 'records' | 'record_versions' = 'records',
): Promise<R[]> {
  const { rows } = await pool.query<R>(
    `WITH settled AS (
       DELETE FROM sink_dead_letters d WHERE d.consumer_id = $1 AND d.redeliver
         AND NOT EXISTS (SELECT 1 FROM ${from} r WHERE r.sync_id = d.sync_id AND r.collection_id = d.collection_id AND r.upstream_id = d.upstream_id
                           AND r.updated_idx = d.updated_idx AND r.updated_idx <= $2))
     SELECT ${columns}
     FROM (SELECT s.*, sum(s.bytes) OVER w AS running, row_number() OVER w AS n
           FROM (SELECT r.*, syncline_record_bytes(r.data, r.upstream_id) AS bytes
                 FROM sink_dead_letters d JOIN ${from} r ON r.sync_id = d.sync_id AND r.collection_id = d.collection_id AND r.upstream_id = d.upstream_id
                 WHERE d.consumer_id = $1 AND d.redeliver AND r.updated_idx = d.updated_idx AND r.updated_idx <= $2
                 ORDER BY r.updated_idx LIMIT $3) s
           WINDOW w AS (ORDER BY s.updated_idx ROWS UNBOUNDED PRECEDING)) c
     WHERE c.running <= $4 OR c.n = 1
     ORDER BY c.updated_idx`,
    [consumerId, position.toString(), limit, maxBytes],
  );
  return rows;
}

/**
 * Redelivered: these records are no longer dead letters, and count as delivered in the status
 * (`last_delivered_at`, the delivered count), in one statement.
 */
export async function forgetRedelivered(pool: pg.Pool, consumerId: string, rows: readonly RecordKey[]): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(
    `WITH forgotten AS (
       DELETE FROM sink_dead_letters d USING jsonb_to_recordset($2::jsonb) AS k(sync_id uuid, collection_id text, upstream_id text, updated_idx bigint)
       WHERE d.consumer_id = $1 AND d.sync_id = k.sync_id AND d.collection_id = k.collection_id AND d.upstream_id = k.upstream_id
         AND d.updated_idx = k.updated_idx AND d.redeliver)
     UPDATE sink_runtime SET delivered_count = delivered_count + $3, last_delivered_at = now(), updated_at = now() WHERE consumer_id = $1`,
    [consumerId, keysParam(rows), rows.length],
  );
}

export interface SinkDeadLetter {
  syncId: string;
  collectionId: string;
  upstreamId: string;
  /** The version that could not be delivered. */
  updatedIdx: string;
  batchId: string;
  attempts: number;
  lastError: string;
  firstAttemptAt: Date;
  lastAttemptAt: Date;
  deadAt: Date;
  /** Asked to be delivered again, not yet done. */
  redeliveryPending: boolean;
}

export interface SinkDeadLetterPage {
  data: SinkDeadLetter[];
  nextCursor: string | null;
}

type Position = [deadAt: string, syncId: string, collectionId: string, upstreamId: string, updatedIdx: string];

const encodeCursor = (d: SinkDeadLetter) =>
  Buffer.from(JSON.stringify([d.deadAt.toISOString(), d.syncId, d.collectionId, d.upstreamId, d.updatedIdx] satisfies Position)).toString('base64url');

function decodeCursor(cursor: string): Position {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(position) &&
      position.length === 5 &&
      position.every((part) => typeof part === 'string') &&
      !Number.isNaN(Date.parse(position[0] as string)) &&
      /^[0-9a-f-]{36}$/i.test(position[1] as string) &&
      /^[0-9]{1,19}$/.test(position[4] as string)
    ) {
      return position as Position;
    }
  } catch {
    // answered below
  }
  throw new BadRequestError('invalid_cursor', 'cursor is not one this API returned');
}

/**
 * A consumer's dead letters, newest first. The caller checks that the consumer is the
 * principal's: this reads by id only.
 */
export async function listSinkDeadLetters(ctx: AppContext, consumerId: string, page: { limit: number; cursor?: string | undefined }): Promise<SinkDeadLetterPage> {
  const limit = Math.min(Math.max(page.limit, 1), 1_000);
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const { rows } = await ctx.pool.query<{
    sync_id: string;
    collection_id: string;
    upstream_id: string;
    /** int8: a bigint or its text, as the pool's type parsers have it. */
    updated_idx: bigint | string;
    batch_id: string;
    attempts: number;
    last_error: string;
    first_attempt_at: Date;
    last_attempt_at: Date;
    dead_at: Date;
    redeliver: boolean;
  }>(
    `SELECT * FROM sink_dead_letters
     WHERE consumer_id = $1 AND ($2::timestamptz IS NULL OR (dead_at, sync_id, collection_id, upstream_id, updated_idx) < ($2, $3::uuid, $4, $5, $7::bigint))
     ORDER BY dead_at DESC, sync_id DESC, collection_id DESC, upstream_id DESC, updated_idx DESC LIMIT $6`,
    [consumerId, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, after?.[3] ?? null, limit + 1, after?.[4] ?? null],
  );
  const data = rows.slice(0, limit).map((r) => ({
    syncId: r.sync_id,
    collectionId: r.collection_id,
    upstreamId: r.upstream_id,
    updatedIdx: String(r.updated_idx),
    batchId: r.batch_id,
    attempts: r.attempts,
    lastError: r.last_error,
    firstAttemptAt: r.first_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    deadAt: r.dead_at,
    redeliveryPending: r.redeliver,
  }));
  return { data, nextCursor: rows.length > limit ? encodeCursor(data[data.length - 1]!) : null };
}

export type RedeliveryRequest = { upstreamIds: readonly string[] } | { all: true };

/**
 * Asks the consumer's runner to deliver these dead letters' records again (their current
 * versions; for change events, each dead version): by upstream id (of any sync and collection), or all of them. Answers how many dead
 * letters were flagged; the runner picks them up before its next batch (within a second when
 * idle, from any process). The caller checks that the consumer is the principal's.
 */
export async function redeliverSinkDeadLetters(ctx: AppContext, consumerId: string, request: RedeliveryRequest): Promise<{ requested: number }> {
  const all = 'all' in request;
  const upstreamIds = all ? null : [...request.upstreamIds];
  const { rows } = await ctx.pool.query<{ requested: number }>(
    `WITH flagged AS (
       UPDATE sink_dead_letters SET redeliver = true
       WHERE consumer_id = $1 AND ($2::text[] IS NULL OR upstream_id = ANY($2))
       RETURNING 1),
     asked AS (
       UPDATE sink_runtime SET redelivery_requested = redelivery_requested + 1, updated_at = now()
       WHERE consumer_id = $1 AND EXISTS (SELECT 1 FROM flagged))
     SELECT count(*)::int AS requested FROM flagged`,
    [consumerId, upstreamIds],
  );
  return { requested: rows[0]?.requested ?? 0 };
}
