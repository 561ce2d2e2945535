import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../../app-context.ts';
import type { Logger } from '../../logger.ts';
import type { RecordRow } from '../../projections/record-row.ts';
import { streamRecordRows } from '../../queries/record-pages.ts';
import { backoffDelay } from './backoff.ts';
import { batchId } from './batch-id.ts';
import { deadLetterBatch, forgetRedelivered, takeRedeliveries } from './dead-letters.ts';
import { DeliveryLog, type DeliveryAttempt } from './deliveries.ts';
import { ConsumerGone, PositionMoved, SinkRuntimeStore, type PendingWindow, type RetryInfo } from './runtime.ts';
import { SinkWriteError, type SinkConsumer, type SinkKind, type SinkState, type SinkWriter } from './sink.ts';

/** Records written by another process send no in-process signal: look again this often when idle. */
const IDLE_RECHECK_MS = 1_000;
/** A target's `Retry-After` is honoured up to this: a hostile or broken one cannot park a consumer for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;

export interface SinkRunnerOptions {
  /** Tests: how long an idle runner waits before looking again without a signal. */
  idleRecheckMs?: number;
  /** Tests: the delay before the next attempt after `failures` failures in a row. */
  backoff?: (failures: number) => number;
}

class Stopped extends Error {}

interface Batch {
  id: string;
  rows: RecordRow[];
}

interface Window {
  rows: RecordRow[];
  /** More records follow the window's last. */
  more: boolean;
}

type Outcome = { delivered: true; attempt: DeliveryAttempt | null } | { delivered: false };

const asWriteError = (error: unknown): SinkWriteError =>
  error instanceof SinkWriteError ? error : new SinkWriteError(error instanceof Error ? error.message : String(error), { retryable: true, cause: error });

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Delivers one push consumer's records to its target until stopped (DESIGN.md §7b, DELIVERY.md
 * "Push consumers"). From the durable position (the last delivered `updated_idx`) it reads a
 * window of `batchSize × maxInFlight` records in stream order with the consumer's selection,
 * splits it into batches and hands them to the kind's writer, all at once; each batch is retried
 * on its own with backoff until the writer confirms it or it becomes dead letters. The position
 * moves to the window's end once every batch of it is done, and only then is the next window
 * delivered: the records table holds one version per record, so a window never holds two versions
 * of one record and each record's versions arrive in order. While a window is delivered the next
 * one is read. Caught up, it waits for a records signal (or looks again every second).
 * Redeliveries of dead letters asked for go before the next window.
 */
export class SinkRunner<C extends SinkConsumer = SinkConsumer> {
  private readonly abort = new AbortController();
  private readonly runtime: SinkRuntimeStore;
  private readonly deliveries: DeliveryLog;
  private readonly log: Logger;
  private readonly idleRecheckMs: number;
  private readonly backoff: (failures: number) => number;
  private position = 0n;
  private retrying = new Map<string, RetryInfo>();
  private redelivery = { requested: 0n, drained: 0n };
  private shown: { state: SinkState; error: string | null } = { state: 'connecting', error: null };
  private showing: Promise<void> = Promise.resolve();
  private writer: SinkWriter | null = null;
  private writerLost = false;
  private opening: Promise<SinkWriter> | null = null;
  private wakeUp: (() => void) | null = null;
  private ahead: { after: bigint; window: Promise<Window> } | null = null;
  /** The window stored before a restart, sent again as it was (kinds with `resendsSameWindow`). */
  private pending: PendingWindow | null = null;
  private ended = false;
  readonly done: Promise<void>;

  constructor(
    private readonly ctx: AppContext,
    private readonly kind: SinkKind<C>,
    private readonly consumer: C,
    options: SinkRunnerOptions = {},
  ) {
    this.runtime = new SinkRuntimeStore(ctx.pool, consumer.id);
    this.deliveries = new DeliveryLog(ctx.pool, consumer.id);
    this.log = ctx.logger.child({ sinkKind: consumer.kind, consumerId: consumer.id, consumer: consumer.name });
    this.idleRecheckMs = options.idleRecheckMs ?? IDLE_RECHECK_MS;
    this.backoff = options.backoff ?? backoffDelay;
    this.done = this.run().finally(() => (this.ended = true));
  }

  /** The runner ended on its own (its consumer is gone) or was stopped. */
  get finished(): boolean {
    return this.ended;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Writes in flight are aborted; their batches are not confirmed and are written again later. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.done;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.load();
        for (;;) {
          await this.openWriter();
          if (this.redelivery.requested > this.redelivery.drained) await this.drainRedeliveries();
          const window = await this.nextWindow();
          if (window.rows.length === 0) {
            await this.show('connected', null);
            failures = 0;
            await this.waitForRecords();
            if (this.stopped) break;
            await this.poll();
          } else {
            if (this.kind.resendsSameWindow && !window.stored) await this.runtime.notePendingWindow({ after: this.position, rows: window.rows });
            await this.deliverWindow(window.rows);
            failures = 0;
          }
          if (this.stopped) break;
        }
      } catch (error) {
        if (this.stopped || error instanceof Stopped) break;
        if (error instanceof ConsumerGone) {
          this.log.info('consumer deleted: sink runner stopped');
          break;
        }
        if (error instanceof PositionMoved) continue;
        await this.recordFailure(error, failures);
        await sleep(this.backoff(failures++), undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
    this.ahead = null;
    await this.closeWriter();
    await this.showing;
  }

  private async load(): Promise<void> {
    const stored = await this.runtime.load(this.consumer);
    this.position = stored.position;
    this.retrying = stored.retrying;
    this.redelivery = { requested: stored.redeliveryRequested, drained: stored.redeliveryDrained };
    this.shown = { state: stored.state, error: stored.error };
    this.ahead = null;
    this.pending = stored.pendingWindow;
  }

  /** After an idle wait: still there, not moved, and whether redeliveries were asked for. */
  private async poll(): Promise<void> {
    const now = await this.runtime.poll();
    if (now.position !== this.position) throw new PositionMoved();
    this.redelivery.requested = now.redeliveryRequested;
  }

  // --- reading ---------------------------------------------------------------------------------

  private get windowSize(): number {
    return this.consumer.batchSize * Math.max(1, this.consumer.maxInFlight);
  }

  private read(after: bigint): Promise<Window> {
    return streamRecordRows(this.ctx.pool, this.consumer.selection, after, this.windowSize, this.ctx.config.SYNCLINE_MAX_ANSWER_BYTES);
  }

  /** The records past the position: read ahead when they were, else read now; the next window is read meanwhile. */
  private async nextWindow(): Promise<Window & { stored: boolean }> {
    const pending = this.pending;
    this.pending = null;
    if (pending && pending.after === this.position && pending.rows.length > 0) return { rows: pending.rows, more: true, stored: true };
    const ahead = this.ahead;
    this.ahead = null;
    const window = await (ahead && ahead.after === this.position ? ahead.window : this.read(this.position));
    const last = window.rows[window.rows.length - 1];
    if (window.more && last) {
      const after = BigInt(last.updated_idx);
      const next = this.read(after);
      next.catch(() => undefined); // unused if this window fails; read again (and its error seen) when needed
      this.ahead = { after, window: next };
    }
    return { ...window, stored: false };
  }

  // --- delivering ------------------------------------------------------------------------------

  private async deliverWindow(rows: RecordRow[]): Promise<void> {
    const batches = chunks(rows, this.consumer.batchSize).map((part) => ({ id: batchId(this.consumer.id, part), rows: part }));
    // One batch: its log entry is written with the position, in one statement.
    const outcomes = await this.deliverAll(batches, { deferLog: batches.length === 1, fresh: false });
    const delivered = outcomes.reduce((sum, outcome, i) => sum + (outcome.delivered ? batches[i]!.rows.length : 0), 0);
    const logged = outcomes.flatMap((outcome) => (outcome.delivered && outcome.attempt ? [outcome.attempt] : []));
    const to = BigInt(rows[rows.length - 1]!.updated_idx);
    const { redeliveryRequested } = await this.runtime.advance(this.position, to, delivered, logged);
    await this.deliveries.appended(logged.length);
    this.position = to;
    this.retrying.clear();
    this.redelivery.requested = redeliveryRequested;
    if (delivered > 0) this.shown = { state: 'connected', error: null };
  }

  /** Every batch at once, each retried on its own; a local failure (the database) stops them all. */
  private async deliverAll(batches: Batch[], options: { deferLog: boolean; fresh: boolean }): Promise<Outcome[]> {
    const window = new AbortController();
    const stop = () => window.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    try {
      const results = await Promise.allSettled(
        batches.map((batch) =>
          this.deliverBatch(batch, window.signal, options).catch((error: unknown) => {
            window.abort();
            throw error;
          }),
        ),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof Stopped));
      if (failed) throw failed.reason;
      if (this.stopped || results.some((r) => r.status === 'rejected')) throw new Stopped();
      return results.map((r) => (r as PromiseFulfilledResult<Outcome>).value);
    } finally {
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  private async deliverBatch(batch: Batch, signal: AbortSignal, options: { deferLog: boolean; fresh: boolean }): Promise<Outcome> {
    let retry = this.retrying.get(batch.id);
    if (retry?.dead) {
      if (!options.fresh) return { delivered: false };
      retry = undefined;
    }
    let attempt = (retry?.attempts ?? 0) + 1;
    for (;;) {
      const at = this.ctx.now();
      const started = performance.now();
      let failure: SinkWriteError;
      try {
        const writer = await this.openWriter();
        const result = await writer.write({ id: batch.id, rows: batch.rows, attempt }, signal);
        const entry: DeliveryAttempt = {
          at,
          batchId: batch.id,
          batchSize: batch.rows.length,
          status: result.status ?? null,
          latencyMs: performance.now() - started,
          error: null,
          responseExcerpt: result.responseExcerpt ?? null,
        };
        this.retrying.delete(batch.id);
        if (options.deferLog) return { delivered: true, attempt: entry };
        await this.deliveries.append([entry]);
        return { delivered: true, attempt: null };
      } catch (error) {
        if (signal.aborted || error instanceof Stopped) throw new Stopped();
        failure = asWriteError(error);
      }
      const latencyMs = performance.now() - started;
      retry = { attempts: attempt, failed: (retry?.failed ?? 0) + (failure.options.retryable ? 0 : 1), firstFailedAt: retry?.firstFailedAt ?? at };
      this.retrying.set(batch.id, retry);
      await this.deliveries.append([
        {
          at,
          batchId: batch.id,
          batchSize: batch.rows.length,
          status: failure.options.status ?? null,
          latencyMs,
          error: failure.message,
          responseExcerpt: failure.options.responseExcerpt ?? null,
        },
      ]);
      await this.showFailure(failure, attempt);
      if (this.exhausted(retry)) {
        const now = this.ctx.now();
        await deadLetterBatch(this.ctx.pool, this.consumer.id, batch, retry, { lastError: failure.message, lastAttemptAt: at, deadAt: now });
        this.retrying.set(batch.id, { ...retry, dead: true });
        this.log.warn({ batchId: batch.id, records: batch.rows.length, attempts: retry.attempts }, 'batch dead-lettered: delivery goes on behind it');
        return { delivered: false };
      }
      await this.runtime.noteRetry(batch.id, retry);
      await sleep(this.retryDelay(retry, failure), undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw new Stopped();
      attempt++;
    }
  }

  private exhausted(retry: RetryInfo): boolean {
    const { maxDeliver, retryWindowMs } = this.consumer;
    if (maxDeliver !== -1 && retry.failed >= maxDeliver) return true;
    return retryWindowMs !== null && this.ctx.now().getTime() - retry.firstFailedAt.getTime() >= retryWindowMs;
  }

  /** Backoff, at least what the target asked for (up to an hour), and never past the end of the retry window. */
  private retryDelay(retry: RetryInfo, failure: SinkWriteError): number {
    const delay = Math.max(this.backoff(retry.attempts - 1), Math.min(failure.options.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
    if (this.consumer.retryWindowMs === null) return delay;
    const windowLeft = retry.firstFailedAt.getTime() + this.consumer.retryWindowMs - this.ctx.now().getTime();
    return Math.max(0, Math.min(delay, windowLeft));
  }

  // --- redelivery ------------------------------------------------------------------------------

  /** The dead letters asked for again, their records' current versions, before the next window. */
  private async drainRedeliveries(): Promise<void> {
    const requested = this.redelivery.requested;
    for (;;) {
      const rows = await takeRedeliveries(this.ctx.pool, this.consumer.id, this.position, this.windowSize, this.ctx.config.SYNCLINE_MAX_ANSWER_BYTES);
      if (rows.length === 0) break;
      const batches = chunks(rows, this.consumer.batchSize).map((part) => ({ id: batchId(this.consumer.id, part), rows: part }));
      const outcomes = await this.deliverAll(batches, { deferLog: false, fresh: true });
      await forgetRedelivered(
        this.ctx.pool,
        this.consumer.id,
        batches.flatMap((batch, i) => (outcomes[i]!.delivered ? batch.rows : [])),
      );
      if (outcomes.some((o) => o.delivered)) await this.show('connected', null);
    }
    await this.runtime.markDrained(requested);
    this.redelivery.drained = requested;
  }

  // --- the writer ------------------------------------------------------------------------------

  /** The open writer, or a new one (after a start, or once the last one was lost). */
  private openWriter(): Promise<SinkWriter> {
    if (this.writer && !this.writerLost) return Promise.resolve(this.writer);
    this.opening ??= this.reopen().finally(() => (this.opening = null));
    return this.opening;
  }

  private async reopen(): Promise<SinkWriter> {
    await this.closeWriter();
    // After a failure the status keeps showing it until a new writer is open.
    if (this.shown.error === null) await this.show('connecting', null);
    let writer: SinkWriter;
    try {
      writer = await this.kind.openWriter(this.ctx, this.consumer, this.abort.signal);
    } catch (error) {
      if (this.stopped) throw new Stopped();
      throw asWriteError(error);
    }
    if (this.stopped) {
      await writer.close().catch(() => undefined);
      throw new Stopped();
    }
    this.writer = writer;
    this.writerLost = false;
    void writer.lost?.then(() => {
      if (this.writer !== writer || this.stopped) return;
      this.writerLost = true;
      this.wakeUp?.();
    });
    await this.show('connected', this.shown.error);
    return writer;
  }

  private async closeWriter(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    await writer?.close().catch((error: unknown) => this.log.warn({ err: error }, 'closing the sink writer failed'));
  }

  // --- waiting ---------------------------------------------------------------------------------

  /** Until records past the position may exist, the writer is lost, a recheck is due, or the runner stops. */
  private waitForRecords(): Promise<void> {
    const { streamId, syncId, collectionIds, provider } = this.consumer.selection;
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(finish, this.idleRecheckMs);
      const unsubscribe = this.ctx.bus.on('records', (message) => {
        if (message.streamId !== streamId || message.maxIdx <= this.position) return;
        if (syncId && message.syncId !== syncId) return;
        if (collectionIds && !collectionIds.includes(message.collectionId)) return;
        if (provider && message.collectionId.split(':', 1)[0] !== provider) return;
        finish();
      });
      this.wakeUp = finish;
      if (this.writerLost || this.stopped) finish();
    });
  }

  // --- status ----------------------------------------------------------------------------------

  private async recordFailure(error: unknown, failures: number): Promise<void> {
    if (!(error instanceof SinkWriteError)) {
      this.log.error({ err: error }, 'sink runner failed; retrying');
      return;
    }
    await this.showFailure(error, failures + 1);
  }

  private async showFailure(failure: SinkWriteError, attempts: number): Promise<void> {
    if (failure.message === this.shown.error) this.log.debug({ attempts }, failure.message);
    else this.log.warn({ state: failure.options.state ?? 'error' }, failure.message);
    await this.show(failure.options.state ?? 'error', failure.message);
  }

  /** Writes the state and error when they differ from what the API shows; one write at a time. */
  private show(state: SinkState, error: string | null): Promise<void> {
    this.showing = this.showing.then(async () => {
      if (this.shown.state === state && this.shown.error === error) return;
      try {
        if (error === this.shown.error) await this.runtime.setState(state);
        else await this.runtime.setStatus(state, error === null ? null : { message: error, at: this.ctx.now() });
        this.shown = { state, error };
      } catch (writeError) {
        this.log.error({ err: writeError }, 'could not record the sink runner state');
      }
    });
    return this.showing;
  }
}
