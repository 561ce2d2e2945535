import type pg from 'pg';
import type { SinkConsumer, SinkState } from './sink.ts';
import { deliveryRowsParam, insertDeliveries, type DeliveryAttempt } from './deliveries.ts';

/** The consumer's runtime row is gone: the consumer was deleted. */
export class ConsumerGone extends Error {}

/** The position changed under the runner (a reset): it reloads. */
export class PositionMoved extends Error {}

/** A batch of the window in progress that failed at least once (persisted: a restart keeps its retry window). */
export interface RetryInfo {
  /** Attempts made, failed ones. */
  attempts: number;
  /** Of them, the non-retryable ones (what `maxDeliver` counts). */
  failed: number;
  firstFailedAt: Date;
  /** Its records are dead letters already: not attempted again before the window moves on. */
  dead?: boolean;
}

type StoredRetry = { attempts: number; failed: number; first_failed_at: string; dead?: boolean };

export interface StoredRuntime {
  position: bigint;
  state: SinkState;
  error: string | null;
  retrying: Map<string, RetryInfo>;
  redeliveryRequested: bigint;
  redeliveryDrained: bigint;
}

export const toStoredRetry = (info: RetryInfo): StoredRetry => ({
  attempts: info.attempts,
  failed: info.failed,
  first_failed_at: info.firstFailedAt.toISOString(),
  ...(info.dead ? { dead: true } : {}),
});

const isForeignKeyViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23503';

/** Runs a write that references the runtime row; its absence means the consumer is gone. */
export async function unlessGone<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new ConsumerGone();
    throw error;
  }
}

/**
 * A condition that is always true and makes the statement's transaction commit without waiting
 * for its WAL flush (synchronous_commit off for it alone): the per-window writes each waited for
 * one. A killed Syncline process loses none of them (PostgreSQL has them); only a crash of
 * PostgreSQL itself within its WAL writer's delay can take the last moves back, and delivery then
 * repeats from the older position: at least once, as ever.
 */
export const UNFLUSHED = `set_config('synchronous_commit', 'off', true) IS NOT NULL`;

/**
 * The runner's row in `sink_runtime`: every write is a single statement on it (zero rows: the
 * consumer was deleted and the row with it, ConsumerGone).
 */
export class SinkRuntimeStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly consumerId: string,
  ) {}


  /**
   * The row, created at the consumer's start position when it has none; a reset the row has not
   * applied yet (`resetCount` above its `reset_seq`) moves the position to `startIdx` and forgets
   * the batches in retry and the kept plans (plans.ts).
   */
  async load(consumer: Pick<SinkConsumer, 'kind' | 'startIdx' | 'resetCount'>): Promise<StoredRuntime> {
    const { rows } = await this.pool.query<{
      position: string;
      state: SinkState;
      error: string | null;
      retrying: Record<string, StoredRetry>;
      redelivery_requested: string;
      redelivery_drained: string;
    }>(
      `WITH forgotten AS (
         DELETE FROM sink_plans p WHERE p.consumer_id = $1 AND EXISTS (SELECT 1 FROM sink_runtime rt WHERE rt.consumer_id = $1 AND rt.reset_seq < $4))
       INSERT INTO sink_runtime AS rt (consumer_id, kind, position, reset_seq) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer_id) DO UPDATE SET
         position = CASE WHEN excluded.reset_seq > rt.reset_seq THEN excluded.position ELSE rt.position END,
         retrying = CASE WHEN excluded.reset_seq > rt.reset_seq THEN '{}' ELSE rt.retrying END,
         reset_seq = GREATEST(rt.reset_seq, excluded.reset_seq)
       RETURNING position, state, last_error->>'message' AS error, retrying, redelivery_requested, redelivery_drained`,
      [this.consumerId, consumer.kind, consumer.startIdx.toString(), consumer.resetCount],
    );
    const row = rows[0]!;
    const retrying = new Map(
      Object.entries(row.retrying).map(([id, r]) => [id, { attempts: r.attempts, failed: r.failed, firstFailedAt: new Date(r.first_failed_at), ...(r.dead ? { dead: true } : {}) }]),
    );
    return {
      position: BigInt(row.position),
      state: row.state,
      error: row.error,
      retrying,
      redeliveryRequested: BigInt(row.redelivery_requested),
      redeliveryDrained: BigInt(row.redelivery_drained),
    };
  }

  /** What the idle runner checks: still there, at its position, and the redelivery requests. */
  async poll(): Promise<{ position: bigint; redeliveryRequested: bigint }> {
    const { rows } = await this.pool.query<{ position: string; redelivery_requested: string }>(
      'SELECT position, redelivery_requested FROM sink_runtime WHERE consumer_id = $1',
      [this.consumerId],
    );
    if (!rows[0]) throw new ConsumerGone();
    return { position: BigInt(rows[0].position), redeliveryRequested: BigInt(rows[0].redelivery_requested) };
  }

  /**
   * The windows `(from, to]` are done: every batch delivered or dead-lettered. Moves the position
   * only from where this runner read (a reset in between wins), forgets the windows' retries and
   * the kept plans passed, and appends `attempts` to the delivery log in the same statement.
   * `delivered`: records delivered (0 when all became dead letters: the last error stays). Answers
   * the redelivery requests.
   */
  async advance(from: bigint, to: bigint, delivered: number, attempts: readonly DeliveryAttempt[]): Promise<{ redeliveryRequested: bigint }> {
    const { rows } = await unlessGone(
      this.pool.query<{ requested: string | null; present: boolean }>(
        `WITH logged AS (${insertDeliveries('$1', '$5')}),
              passed AS (DELETE FROM sink_plans WHERE consumer_id = $1 AND last_idx <= $3 AND EXISTS (SELECT 1 FROM sink_runtime WHERE consumer_id = $1 AND position = $2)),
              moved AS (
                UPDATE sink_runtime SET position = $3, retrying = '{}', delivered_count = delivered_count + $4, updated_at = now(),
                  last_delivered_at = CASE WHEN $4 > 0 THEN now() ELSE last_delivered_at END,
                  state = CASE WHEN $4 > 0 THEN 'connected' ELSE state END,
                  last_error = CASE WHEN $4 > 0 THEN NULL ELSE last_error END
                WHERE consumer_id = $1 AND position = $2 AND ${UNFLUSHED}
                RETURNING redelivery_requested)
         SELECT (SELECT redelivery_requested FROM moved) AS requested, EXISTS (SELECT 1 FROM sink_runtime WHERE consumer_id = $1) AS present`,
        [this.consumerId, from.toString(), to.toString(), delivered, deliveryRowsParam(attempts)],
      ),
    );
    const row = rows[0]!;
    if (!row.present) throw new ConsumerGone();
    if (row.requested === null) throw new PositionMoved();
    return { redeliveryRequested: BigInt(row.requested) };
  }

  /** A batch failed (again): kept so that a restart continues its count and its retry window. */
  async noteRetry(batchId: string, info: RetryInfo): Promise<void> {
    const result = await this.pool.query(
      `UPDATE sink_runtime SET retrying = retrying || jsonb_build_object($2::text, $3::jsonb), updated_at = now() WHERE consumer_id = $1`,
      [this.consumerId, batchId, JSON.stringify(toStoredRetry(info))],
    );
    if (result.rowCount !== 1) throw new ConsumerGone();
  }

  /** Every redelivery asked for up to `requested` was drained. */
  async markDrained(requested: bigint): Promise<void> {
    await this.pool.query('UPDATE sink_runtime SET redelivery_drained = GREATEST(redelivery_drained, $2) WHERE consumer_id = $1', [this.consumerId, requested.toString()]);
  }

  async setState(state: SinkState): Promise<void> {
    await this.pool.query('UPDATE sink_runtime SET state = $2, updated_at = now() WHERE consumer_id = $1', [this.consumerId, state]);
  }

  /** `lastError` null clears it; a failure is kept with the time it happened. */
  async setStatus(state: SinkState, lastError: { message: string; at: Date } | null): Promise<void> {
    await this.pool.query('UPDATE sink_runtime SET state = $2, last_error = $3, updated_at = now() WHERE consumer_id = $1', [
      this.consumerId,
      state,
      lastError && { message: lastError.message, at: lastError.at.toISOString() },
    ]);
  }
}

/** The consumer is gone: its row goes, and its delivery log and dead letters with it. */
export async function deleteSinkRuntime(pool: pg.Pool, consumerId: string): Promise<void> {
  await pool.query('DELETE FROM sink_runtime WHERE consumer_id = $1', [consumerId]);
}

/**
 * Rows of `kind` whose consumer is not among `consumerIds` (a listing just taken) and that are
 * older than a minute (so a row created by another process for a consumer newer than the
 * listing stays): consumers deleted while no process ran them.
 */
export async function sweepSinkRuntimes(pool: pg.Pool, kind: string, consumerIds: readonly string[]): Promise<number> {
  const result = await pool.query(
    `DELETE FROM sink_runtime WHERE kind = $1 AND created_at < now() - interval '1 minute' AND NOT (consumer_id = ANY($2::uuid[]))`,
    [kind, consumerIds],
  );
  return result.rowCount ?? 0;
}
