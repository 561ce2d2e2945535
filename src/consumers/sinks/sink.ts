/**
 * The contract between the one sink runner (src/consumers/sinks/runner.ts) and each push
 * consumer kind (NATS, webhook, PostgreSQL; DESIGN.md §7b). The runner owns positions, batching,
 * ordering, retries with backoff, dead letters, leases across instances and status; a kind only
 * says which consumers exist and how to write one batch to its target.
 */
import type { AppContext } from '../../app-context.ts';
import type { RecordSelection } from '../../domain/consumer-selection.ts';
import type { MessageShape } from '../../domain/change-events.ts';
import type { RecordRow } from '../../projections/record-row.ts';

export type SinkKindName = 'nats' | 'webhook' | 'postgres';

/**
 * What a consumer's status shows of its target: `connecting` (the runner is opening its first
 * writer), `connected` (the last open or write succeeded), `disconnected` (the target could not be
 * reached), `error` (it was reached and refused). A failure shows until an open or a write succeeds.
 */
export type SinkState = 'connecting' | 'connected' | 'disconnected' | 'error';

/** A push consumer as the runner sees it, whatever its kind. */
export interface SinkConsumer {
  kind: SinkKindName;
  id: string;
  accountId: string;
  name: string;
  selection: RecordSelection;
  /** Records, or change events with their filters (docs/DELIVERY.md, "Change events"): the kind's source reads one or the other. */
  message: MessageShape;
  /** Bumped by every change of the consumer (update, reset, secret rotation): the runner restarts. */
  generation: number;
  /**
   * Where delivery starts: the runner creates the consumer's runtime row at this position when it
   * has none. Kinds never write runner state themselves (their projections are read models only).
   */
  startIdx: bigint;
  /**
   * How many resets (`POST /v1/<kind>/{id}/reset`) the consumer has had. When it exceeds the count
   * the runtime row last applied, the runner moves the position to `startIdx` (back or ahead),
   * forgets the batch in progress, and records the count.
   */
  resetCount: number;
  /** Records per batch handed to the writer. */
  batchSize: number;
  /** Batches in flight at once; >1 only where each record's versions stay in order (§7b). */
  maxInFlight: number;
  /**
   * -1: retry forever. Else failed attempts of a batch (SinkWriteError `retryable: false`: the
   * target refused it) before its records become dead letters.
   */
  maxDeliver: number;
  /**
   * null: retry forever. Else ms after a batch's first failed attempt (of any kind) before it
   * becomes dead letters.
   */
  retryWindowMs: number | null;
}

/** What names a record version: every record a runner handles has it (batch ids, dead letters, positions). */
export type SinkRecordKey = Pick<RecordRow, 'sync_id' | 'collection_id' | 'upstream_id' | 'updated_idx'>;

/** A record as its JSON text of DESIGN.md §2, built by PostgreSQL (`syncline_record_json`), with its key. */
export interface JsonRecord extends SinkRecordKey {
  json: string;
}

/** One batch as the writer receives it. */
export interface SinkBatch<R extends SinkRecordKey = RecordRow> {
  /**
   * The same for every attempt at the same records (a hash of the consumer id and each record's
   * key and `updated_idx`): after a crash the same records get the same id again. Webhooks send it
   * as `webhook-id`.
   */
  id: string;
  rows: R[];
  /** 1 for the first attempt. */
  attempt: number;
}

/**
 * How a write failed. Every failure is retried after a backoff (at least `retryAfterMs` when the
 * target asked for it) on the same records. `retryable: false` (the target refused the batch
 * itself) counts toward the consumer's `maxDeliver`; `retryable: true` (the target is down, busy,
 * timed out) does not. Either way, once the batch's first failure is older than `retryWindowMs`
 * its records become dead letters. `status`, `responseExcerpt`: what the delivery log keeps of the
 * target's answer. `state`: what the status shows (default `error`). `message` is shown as
 * `last_error`: never a secret.
 */
export class SinkWriteError extends Error {
  constructor(
    message: string,
    readonly options: {
      retryable: boolean;
      retryAfterMs?: number;
      status?: number;
      responseExcerpt?: string;
      state?: Extract<SinkState, 'disconnected' | 'error'>;
      cause?: unknown;
    } = { retryable: true },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkWriteError';
  }
}

/** What the delivery log keeps of a successful attempt. */
export interface SinkWriteResult {
  status?: number;
  responseExcerpt?: string;
}

/** Writes batches of one consumer to its target; opened when its runner starts, closed when it stops. */
export interface SinkWriter<R extends SinkRecordKey = RecordRow> {
  /**
   * Resolves once the target confirmed the whole batch; throws SinkWriteError otherwise. With
   * `maxInFlight` > 1 several writes of one writer run at once. `signal` aborts when the runner
   * stops: the batch is then written again later, never skipped.
   */
  write(batch: SinkBatch<R>, signal: AbortSignal): Promise<SinkWriteResult>;
  /**
   * Optional: resolves when the writer can write no more (its connection dropped). The runner then
   * closes it and opens a new one, at once when idle (so the status shows an outage without
   * traffic), else before the next attempt.
   */
  readonly lost?: Promise<void>;
  close(): Promise<void>;
}

/** The records past a position, as a source reads them (`more`: the read was cut, read on from its last). */
export interface SinkRead<R extends SinkRecordKey> {
  records: R[];
  more: boolean;
}

/** What a source needs of the runner to read: the consumer, the pool and the byte budget. */
export interface SinkReadContext {
  pool: AppContext['pool'];
  consumer: SinkConsumer;
  maxBytes: number;
}

/**
 * How a kind's records are read (src/consumers/sinks/record-sources.ts): as rows (`RecordRow`) or as
 * JSON texts built by PostgreSQL, and whether what was read is kept for a restart.
 */
export interface SinkRecordSource<R extends SinkRecordKey> {
  /** At most `limit` records past `after` in stream order with the consumer's selection, at most `maxBytes` of them past the first. */
  read(source: SinkReadContext, after: bigint, limit: number): Promise<SinkRead<R>>;
  /** The dead letters asked for again (see dead-letters.ts `takeRedeliveries`), as this source's records. */
  redeliveries(source: SinkReadContext, position: bigint, limit: number): Promise<R[]>;
  /**
   * Present for kinds whose targets drop duplicates by batch id (webhooks' `webhook-id`): the
   * records table keeps only each record's latest version, so a window re-read after a restart
   * could be a different batch under a different id. The runner keeps what it read (`keep`, before
   * sending any of it, in the order the plans were read), and a restarted runner sends the kept
   * records past its position again, in the same batches, before reading on (`kept`: the kept
   * plans in stream order).
   */
  plans?: {
    keep(source: SinkReadContext, after: bigint, records: readonly R[]): Promise<void>;
    kept(source: SinkReadContext, position: bigint): Promise<SinkKeptPlan<R>[]>;
  };
}

/** Records read past `after` and kept (src/consumers/sinks/plans.ts). */
export interface SinkKeptPlan<R extends SinkRecordKey> {
  after: bigint;
  records: R[];
}

/**
 * One push consumer kind; `C` carries the kind's own settings (URL, connection…) beside the common
 * ones, `R` the form in which its writer takes records (its `records` source reads them so).
 */
export interface SinkKind<C extends SinkConsumer = SinkConsumer, R extends SinkRecordKey = SinkRecordKey> {
  name: SinkKindName;
  records: SinkRecordSource<R>;
  /** Every consumer of this kind (all accounts): the supervisor runs one runner for each. */
  listConsumers(ctx: AppContext): Promise<C[]>;
  /**
   * May connect to the target (NATS does, so a wrong address shows without records to send);
   * throwing SinkWriteError shows in the status and is retried with backoff. `signal` aborts when
   * the runner stops.
   */
  openWriter(ctx: AppContext, consumer: C, signal: AbortSignal): Promise<SinkWriter<R>>;
}
