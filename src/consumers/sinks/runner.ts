import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../../app-context.ts';
import { withLogContext, type Logger } from '../../logger.ts';
import { healthChange } from '../../domain/consumer-health/decide.ts';
import type { ConsumerHealthEvent } from '../../domain/consumer-health/events.ts';
import { backoffDelay } from './backoff.ts';
import { batchId } from './batch-id.ts';
import { deadLetterBatch, forgetRedelivered } from './dead-letters.ts';
import { DeliveryLog, type DeliveryAttempt } from './deliveries.ts';
import { inSinkSpan } from '../delivery-trace.ts';
import { ConsumerGone, PositionMoved, SinkRuntimeStore, type RetryInfo } from './runtime.ts';
import {
  SinkWriteError,
  type SinkConsumer,
  type SinkKeptPlan,
  type SinkKind,
  type SinkRead,
  type SinkReadContext,
  type SinkRecordKey,
  type SinkState,
  type SinkWriter,
} from './sink.ts';

/** Records written by another process send no in-process signal: look again this often when idle. */
const IDLE_RECHECK_MS = 1_000;
/** A target's `Retry-After` is honoured up to this: a hostile or broken one cannot park a consumer for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** Records read (and, for kinds that keep them, kept) at once: whole windows, at least one. */
const PLAN_RECORDS = 1_000;
/**
 * Plans read ahead of the one delivered: each read starts once the one before it answered, so
 * reading (in PostgreSQL) and sending go on side by side, the slower one setting the pace.
 */
const READ_AHEAD = 2;
/**
 * A position move waits this long after its first window for the windows done meanwhile, so that
 * one statement moves them all (one a window cost PostgreSQL about as much as reading the records);
 * a failure to write, a flush or a stop writes it at once. A crash can take back these moves too:
 * the same batches are sent again.
 */
const MOVE_GATHER_MS = 50;

export interface SinkRunnerOptions {
  /** Tests: how long an idle runner waits before looking again without a signal. */
  idleRecheckMs?: number;
  /** Tests: the delay before the next attempt after `failures` failures in a row. */
  backoff?: (failures: number) => number;
}

class Stopped extends Error {}

interface Ahead<R extends SinkRecordKey> {
  after: bigint;
  read: Promise<SinkRead<R>>;
  /** The runner's signal count when the read began. */
  signals: number;
  /** Once answered. */
  answer?: SinkRead<R>;
  /** Once answered, for kinds that keep plans: resolves once the plan is kept (keepPlan). */
  kept?: Promise<void>;
  /** Dropped unused (the position moved elsewhere, or the runner reloads): never kept. */
  dropped?: boolean;
}

interface Batch<R> {
  id: string;
  rows: R[];
}

/** Records read past a position, delivered window by window from `next` on. */
interface Plan<R> {
  records: R[];
  next: number;
}

/** Windows confirmed whose position move (with their log entries) is not written yet. */
interface Advance {
  to: bigint;
  delivered: number;
  logged: DeliveryAttempt[];
  /** The runtime write that will carry it (only the last queued write takes more windows). */
  write: number;
}

type Outcome = { delivered: true; attempt: DeliveryAttempt } | { delivered: false };

const asWriteError = (error: unknown): SinkWriteError =>
  error instanceof SinkWriteError ? error : new SinkWriteError(error instanceof Error ? error.message : String(error), { retryable: true, cause: error });

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Delivers one push consumer's records to its target until stopped (DESIGN.md §7b, DELIVERY.md
 * "Push consumers"). From the durable position (the last delivered `updated_idx`) it reads a plan
 * of whole windows (about 1,000 records) in stream order with the consumer's selection, through
 * the kind's record source (a kind that keeps plans has each kept before any of it is sent, the
 * keeps one after the other in read order), and delivers it window by window: a
 * window of `batchSize × maxInFlight` records is split into batches handed to the writer at once;
 * each batch is retried on its own with backoff until the writer confirms it or it becomes dead
 * letters. The next window starts once every batch of the window is done: the records table holds
 * one version per record, and a window of change events with batches side by side ends before a
 * record's second version (windowOfDistinctRecords), so each record's versions arrive in order.
 * While a plan is delivered the next one is read.
 *
 * The position moves to a window's end once it is done, in memory at once and in the database by
 * a queue of runtime writes that the next window does not wait for (windows done while a write
 * runs move in one statement with their delivery log entries). A crash can therefore take back
 * the last moves: delivery repeats from the older position (at least once), and a kind that keeps
 * its plans sends the very same batches again. The queue is flushed before a failure is written,
 * before the idle check of the runtime row, and when the runner stops. Caught up, it waits for a
 * records signal (or looks again every second). Redeliveries of dead letters asked for go before
 * the next window.
 */
export class SinkRunner<C extends SinkConsumer = SinkConsumer, R extends SinkRecordKey = SinkRecordKey> {
  private readonly abort = new AbortController();
  private readonly runtime: SinkRuntimeStore;
  private readonly deliveries: DeliveryLog;
  private readonly log: Logger;
  private readonly idleRecheckMs: number;
  private readonly backoff: (failures: number) => number;
  private readonly source: SinkReadContext;
  /** Every window up to here is done (delivered or dead letters). */
  private position = 0n;
  /** The position as the database has it (the runtime writes queued move it to `position`). */
  private durable = 0n;
  private retrying = new Map<string, RetryInfo>();
  private redelivery = { requested: 0n, drained: 0n };
  private shown: { state: SinkState; error: string | null } = { state: 'connecting', error: null };
  /** The error the consumer's health events last told of (null: healthy); see tellHealth. */
  private health: string | null = null;
  private showing: Promise<void> = Promise.resolve();
  private writer: SinkWriter<R> | null = null;
  private writerLost = false;
  private opening: Promise<SinkWriter<R>> | null = null;
  private wakeUp: (() => void) | null = null;
  /** Records signals of the consumer's selection so far (listenForRecords). */
  private signals = 0;
  /**
   * The signal count when the last read that reached the end of the stream began, until the runner
   * waits: no signal since means nothing new to read yet.
   */
  private caughtUpAt: number | null = null;
  /** Plans to deliver, the current first: kept ones after a restart, then what was read. */
  private plans: Plan<R>[] = [];
  /** Reads ahead, each past the last record of the one before (a chain from its first's `after`). */
  private ahead: Ahead<R>[] = [];
  /** The last plan keep (keepPlan): each waits for the one before, and fails if it failed. */
  private keeping: Promise<void> = Promise.resolve();
  /** The runtime writes, one after the other; a failed one fails those queued after it. */
  private writes: Promise<void> = Promise.resolve();
  private writesQueued = 0;
  private writeFailure: { error: unknown } | null = null;
  private advancing: Advance | null = null;
  /** Lets the move being gathered be written now (else it waits for MOVE_GATHER_MS). */
  private releaseMove: (() => void) | null = null;
  private ended = false;
  readonly done: Promise<void>;

  constructor(
    private readonly ctx: AppContext,
    private readonly kind: SinkKind<C, R>,
    private readonly consumer: C,
    options: SinkRunnerOptions = {},
  ) {
    this.runtime = new SinkRuntimeStore(ctx.pool, consumer.id);
    this.deliveries = new DeliveryLog(ctx.pool, consumer.id);
    this.log = ctx.logger.child({ sinkKind: consumer.kind, consumerId: consumer.id, consumer: consumer.name, accountId: consumer.accountId });
    this.idleRecheckMs = options.idleRecheckMs ?? IDLE_RECHECK_MS;
    this.backoff = options.backoff ?? backoffDelay;
    this.source = { pool: ctx.pool, consumer, maxBytes: ctx.config.SYNCLINE_MAX_ANSWER_BYTES };
    // Its own log context: a runner started while a request is handled is not that request's work.
    this.done = withLogContext({}, () => this.run(), { fresh: true }).finally(() => (this.ended = true));
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
    // Listening all along: a signal sent while a read runs is not missed (waitForRecords).
    const stopListening = this.listenForRecords();
    while (!this.stopped) {
      try {
        await this.load();
        for (;;) {
          this.throwWriteFailure();
          await this.openWriter();
          if (this.redelivery.requested > this.redelivery.drained) await this.drainRedeliveries();
          const signals = this.signals;
          const window = await this.nextWindow();
          if (window.length === 0) {
            await this.show('connected', null);
            failures = 0;
            const signaled = await this.waitForRecords(signals);
            this.caughtUpAt = null;
            if (this.stopped) break;
            // Woken by records, it reads them at once; else it checks the runtime row first.
            if (!signaled) await this.poll();
          } else {
            await this.deliverWindow(window);
            failures = 0;
          }
          if (this.stopped) break;
        }
      } catch (error) {
        await this.settleWrites();
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
    stopListening();
    this.dropAhead();
    // Windows confirmed before the stop are written (a failed write leaves them to be sent again).
    await this.settleWrites();
    await this.closeWriter();
    await this.showing;
  }

  private async load(): Promise<void> {
    await this.settleWrites();
    this.writeFailure = null;
    this.advancing = null;
    const stored = await this.runtime.load(this.consumer);
    this.position = stored.position;
    this.durable = stored.position;
    this.retrying = stored.retrying;
    this.redelivery = { requested: stored.redeliveryRequested, drained: stored.redeliveryDrained };
    this.shown = { state: stored.state, error: stored.error };
    this.health = stored.error;
    this.dropAhead();
    // A keep of the runner's last round may still run: the plans kept are read once it is done.
    await this.keeping.catch(() => undefined);
    this.keeping = Promise.resolve();
    this.caughtUpAt = null;
    const plans = this.kind.records.plans;
    this.plans = plans ? resumable(await plans.kept(this.source, this.position), this.position) : [];
  }

  /**
   * After an idle wait without records: still there, not moved, and whether redeliveries were
   * asked for (else the next position move answers them, and a move from a moved position fails).
   */
  private async poll(): Promise<void> {
    await this.flushWrites();
    const now = await this.runtime.poll();
    if (now.position !== this.position) throw new PositionMoved();
    this.redelivery.requested = now.redeliveryRequested;
  }

  // --- runtime writes --------------------------------------------------------------------------

  /**
   * Runs `write` after every runtime write queued before it; once one failed, the later ones fail
   * with its error. A move being gathered before it is written at once.
   */
  private queueWrite<T>(write: () => Promise<T>): Promise<T> {
    this.releaseMove?.();
    return this.queueAfter(write);
  }

  private queueAfter<T>(write: () => Promise<T>): Promise<T> {
    this.writesQueued++;
    const result = this.writes.then(() => {
      if (this.writeFailure) throw this.writeFailure.error;
      return write();
    });
    this.writes = result.then(
      () => undefined,
      (error: unknown) => {
        this.writeFailure ??= { error };
      },
    );
    return result;
  }

  private throwWriteFailure(): void {
    if (this.writeFailure) throw this.writeFailure.error;
  }

  /** Every runtime write queued is done (the move being gathered written now); none throws. */
  private async settleWrites(): Promise<void> {
    this.releaseMove?.();
    await this.writes;
  }

  /** Every runtime write queued is done; throws the first that failed. */
  private async flushWrites(): Promise<void> {
    await this.settleWrites();
    this.throwWriteFailure();
  }

  /**
   * The window up to `to` is done: the position moves there now, and in the database with the
   * next runtime write, not waited for. That write gathers the windows done within MOVE_GATHER_MS
   * of its first (or until another write is queued, a flush or a stop), and those done before it
   * started join it too.
   */
  private queueAdvance(to: bigint, delivered: number, logged: DeliveryAttempt[]): void {
    this.position = to;
    const waiting = this.advancing;
    if (waiting && waiting.write === this.writesQueued) {
      waiting.to = to;
      waiting.delivered += delivered;
      waiting.logged.push(...logged);
      return;
    }
    const advance: Advance = { to, delivered, logged: [...logged], write: this.writesQueued + 1 };
    this.advancing = advance;
    const gathered = new Promise<void>((resolve) => {
      const release = () => {
        clearTimeout(timer);
        if (this.releaseMove === release) this.releaseMove = null;
        resolve();
      };
      const timer = setTimeout(release, MOVE_GATHER_MS);
      this.releaseMove = release;
    });
    // Failures are seen by the next window (throwWriteFailure) or the next flush.
    void this.queueAfter(async () => {
      await gathered;
      if (this.advancing === advance) this.advancing = null;
      const { redeliveryRequested } = await this.runtime.advance(this.durable, advance.to, advance.delivered, advance.logged);
      this.durable = advance.to;
      this.redelivery.requested = redeliveryRequested;
      await this.deliveries.appended(advance.logged.length);
    }).catch(() => undefined);
  }

  // --- reading ---------------------------------------------------------------------------------

  private get windowSize(): number {
    return this.consumer.batchSize * Math.max(1, this.consumer.maxInFlight);
  }

  /** Records read at once: whole windows, about PLAN_RECORDS. */
  private get planSize(): number {
    return this.windowSize * Math.max(1, Math.floor(PLAN_RECORDS / this.windowSize));
  }

  private read(after: bigint): Promise<SinkRead<R>> {
    return this.kind.records.read(this.source, after, this.planSize);
  }

  /**
   * The next window past the position: from the current plan, else from a new one (read ahead when
   * it was, else read now; those after it are read meanwhile). Empty when caught up.
   */
  private async nextWindow(): Promise<R[]> {
    while (this.plans[0] && this.plans[0].next >= this.plans[0].records.length) this.plans.shift();
    let plan = this.plans[0];
    if (!plan) {
      const ahead = this.ahead.shift();
      if (ahead?.after !== this.position) {
        if (ahead) ahead.dropped = true;
        this.dropAhead();
      }
      if (!ahead && this.caughtUpAt === this.signals) return [];
      const reading = ahead?.after === this.position ? ahead : this.startRead(this.position);
      const read = await reading.read;
      this.caughtUpAt = read.more ? null : reading.signals;
      const last = read.records[read.records.length - 1];
      if (!last) return [];
      if (this.ahead.length === 0) {
        if (read.more) this.readAhead(BigInt(last.updated_idx));
      } else this.readOn(this.ahead[this.ahead.length - 1]!);
      // Nothing of a plan is sent before it is kept (the next one is read meanwhile).
      await reading.kept;
      plan = { records: read.records, next: 0 };
      this.plans.push(plan);
    }
    const window = this.parallelEvents ? windowOfDistinctRecords(plan.records, plan.next, this.windowSize) : plan.records.slice(plan.next, plan.next + this.windowSize);
    plan.next += window.length;
    return window;
  }

  /** Change events: a plan may hold several versions of one record (records hold one). */
  private get events(): boolean {
    return this.consumer.message.messageKind === 'event';
  }

  /** Change events in batches side by side: one batch at a time keeps a record's versions in order anyway. */
  private get parallelEvents(): boolean {
    return this.events && this.consumer.maxInFlight > 1;
  }

  private readAhead(after: bigint): void {
    const ahead = this.startRead(after);
    this.ahead.push(ahead);
    ahead.read.then(
      () => this.readOn(ahead),
      () => undefined, // unused if its plan fails; read again (and its error seen) when needed
    );
  }

  /** A read past `after`; once answered, its plan is kept (kinds that keep plans) unless it was dropped. */
  private startRead(after: bigint): Ahead<R> {
    const ahead: Ahead<R> = { after, signals: this.signals, read: this.read(after) };
    ahead.read.then(
      (answer) => {
        ahead.answer = answer;
        if (!ahead.dropped) ahead.kept = this.keepPlan(after, answer.records);
      },
      () => undefined,
    );
    return ahead;
  }

  /**
   * Keeps a plan, after the keep of the plan read before it: a keep never commits when the one
   * before failed, so the kept plans follow one another (a restarted runner resends them as such).
   */
  private keepPlan(after: bigint, records: R[]): Promise<void> | undefined {
    const plans = this.kind.records.plans;
    if (!plans || records.length === 0) return undefined;
    const kept = this.keeping.then(() => plans.keep(this.source, after, records));
    this.keeping = kept;
    kept.catch(() => undefined); // seen by the window that awaits it
    return kept;
  }

  private dropAhead(): void {
    for (const ahead of this.ahead) ahead.dropped = true;
    this.ahead = [];
  }

  /** After `ahead` answered: the next read, when more follow and fewer than READ_AHEAD are ahead. */
  private readOn(ahead: Ahead<R>): void {
    const last = ahead.answer?.records[ahead.answer.records.length - 1];
    if (!ahead.answer?.more || !last || this.stopped) return;
    if (this.ahead[this.ahead.length - 1] !== ahead || this.ahead.length >= READ_AHEAD) return;
    this.readAhead(BigInt(last.updated_idx));
  }

  // --- delivering ------------------------------------------------------------------------------

  private async deliverWindow(rows: R[]): Promise<void> {
    const batches = chunks(rows, this.consumer.batchSize).map((part) => ({ id: batchId(this.consumer.id, part), rows: part }));
    const outcomes = await this.deliverAll(batches, { fresh: false });
    const delivered = outcomes.reduce((sum, outcome, i) => sum + (outcome.delivered ? batches[i]!.rows.length : 0), 0);
    const logged = outcomes.flatMap((outcome) => (outcome.delivered ? [outcome.attempt] : []));
    this.retrying.clear();
    this.queueAdvance(BigInt(rows[rows.length - 1]!.updated_idx), delivered, logged);
    if (delivered > 0) {
      this.shown = { state: 'connected', error: null };
      this.showing = this.showing.then(() => this.tellHealth(null));
    }
  }

  /** Every batch at once, each retried on its own; a local failure (the database) stops them all. */
  private async deliverAll(batches: Batch<R>[], options: { fresh: boolean }): Promise<Outcome[]> {
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

  /** Until delivered (its log entry answered, for the caller to write) or dead letters. */
  private async deliverBatch(batch: Batch<R>, signal: AbortSignal, options: { fresh: boolean }): Promise<Outcome> {
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
        const sent = { id: batch.id, rows: batch.rows, attempt };
        const result = await inSinkSpan(this.ctx, this.consumer, sent, () => writer.write(sent, signal));
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
        return { delivered: true, attempt: entry };
      } catch (error) {
        if (signal.aborted || error instanceof Stopped) throw new Stopped();
        failure = asWriteError(error);
      }
      const latencyMs = performance.now() - started;
      retry = { attempts: attempt, failed: (retry?.failed ?? 0) + (failure.options.retryable ? 0 : 1), firstFailedAt: retry?.firstFailedAt ?? at };
      this.retrying.set(batch.id, retry);
      const failed = {
          at,
          batchId: batch.id,
          batchSize: batch.rows.length,
          status: failure.options.status ?? null,
          latencyMs,
          error: failure.message,
          responseExcerpt: failure.options.responseExcerpt ?? null,
      };
      // Behind the moves of the windows before: their statements clear the retries and the error.
      await this.queueWrite(() => this.deliveries.append([failed]));
      await this.showFailure(failure, attempt);
      const noted = retry;
      if (this.exhausted(noted)) {
        const now = this.ctx.now();
        await this.queueWrite(() =>
          deadLetterBatch(this.ctx.pool, this.consumer.id, batch, noted, { lastError: failure.message, lastAttemptAt: at, deadAt: now }, { perVersion: this.events }),
        );
        this.retrying.set(batch.id, { ...noted, dead: true });
        this.log.warn({ stateChange: 'consumer.dead_letters', batchId: batch.id, records: batch.rows.length, attempts: noted.attempts }, 'batch dead-lettered: delivery goes on behind it');
        await this.appendHealth({ type: 'ConsumerDeadLettered', data: { ...this.healthRef, records: batch.rows.length, at: now.toISOString() } });
        return { delivered: false };
      }
      await this.queueWrite(() => this.runtime.noteRetry(batch.id, noted));
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
      const rows = await this.kind.records.redeliveries(this.source, this.position, this.windowSize);
      if (rows.length === 0) break;
      const batches = chunks(rows, this.consumer.batchSize).map((part) => ({ id: batchId(this.consumer.id, part), rows: part }));
      const outcomes = await this.deliverAll(batches, { fresh: true });
      const logged = outcomes.flatMap((outcome) => (outcome.delivered ? [outcome.attempt] : []));
      await this.queueWrite(() => this.deliveries.append(logged));
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
  private openWriter(): Promise<SinkWriter<R>> {
    if (this.writer && !this.writerLost) return Promise.resolve(this.writer);
    this.opening ??= this.reopen().finally(() => (this.opening = null));
    return this.opening;
  }

  private async reopen(): Promise<SinkWriter<R>> {
    await this.closeWriter();
    // After a failure the status keeps showing it until a new writer is open.
    if (this.shown.error === null) await this.show('connecting', null);
    let writer: SinkWriter<R>;
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

  /**
   * Until records past the position may exist (true: a records signal came since `signalsBefore`),
   * the writer is lost, a recheck is due, or the runner stops (false).
   */
  private waitForRecords(signalsBefore: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve(this.signals !== signalsBefore && !this.writerLost);
      };
      const timer = setTimeout(finish, this.idleRecheckMs);
      this.wakeUp = finish;
      // A signal since the read that found nothing began: its records may have been committed after it.
      if (this.writerLost || this.stopped || this.signals !== signalsBefore) finish();
    });
  }

  /** Counts the records signals of the consumer's selection past its position, and wakes it when idle. */
  private listenForRecords(): () => void {
    const { streamId, syncId, collectionIds, provider } = this.consumer.selection;
    return this.ctx.bus.on('records', (message) => {
      if (message.streamId !== streamId || message.maxIdx <= this.position) return;
      if (syncId && message.syncId !== syncId) return;
      if (collectionIds && !collectionIds.includes(message.collectionId)) return;
      if (provider && message.collectionId.split(':', 1)[0] !== provider) return;
      this.signals++;
      this.wakeUp?.();
    });
  }


  // --- status ----------------------------------------------------------------------------------

  /** After the runtime writes queued before (the caller waited for them). */
  private async recordFailure(error: unknown, failures: number): Promise<void> {
    if (!(error instanceof SinkWriteError)) {
      this.log.error({ err: error }, 'sink runner failed; retrying');
      return;
    }
    await this.showFailure(error, failures + 1);
  }

  /** The consumer's health line (tellHealth) says when it starts failing; each failure is a debug line. */
  private async showFailure(failure: SinkWriteError, attempts: number): Promise<void> {
    this.log.debug({ attempts, state: failure.options.state ?? 'error' }, failure.message);
    await this.show(failure.options.state ?? 'error', failure.message);
  }

  private get healthRef() {
    return { consumerId: this.consumer.id, accountId: this.consumer.accountId, kind: this.consumer.kind };
  }

  /**
   * Once the error shown goes from none to one (failing) or back (recovered): one log line, and the
   * event in the consumer's health stream that notifications derive from (docs/OPERATIONS.md).
   */
  private async tellHealth(error: string | null): Promise<void> {
    const event = healthChange(this.healthRef, this.health, error, this.ctx.now());
    if (!event) return;
    this.health = error;
    if (event.type === 'ConsumerFailed') this.log.warn({ stateChange: 'consumer.error', error: event.data.message }, `consumer error: ${event.data.message}`);
    else this.log.info({ stateChange: 'consumer.recovered' }, 'consumer recovered');
    await this.appendHealth(event);
  }

  private async appendHealth(event: ConsumerHealthEvent): Promise<void> {
    try {
      await this.ctx.eventStore.appendToStream(`consumer-${this.consumer.id}-health`, [event]);
    } catch (error) {
      this.log.error({ err: error }, 'could not record the consumer health event');
    }
  }

  /** Writes the state and error when they differ from what the API shows; one write at a time. */
  private show(state: SinkState, error: string | null): Promise<void> {
    this.showing = this.showing.then(async () => {
      if (this.shown.state === state && this.shown.error === error) return;
      try {
        if (error === this.shown.error) await this.runtime.setState(state);
        else await this.runtime.setStatus(state, error === null ? null : { message: error, at: this.ctx.now() });
        this.shown = { state, error };
        await this.tellHealth(error);
      } catch (writeError) {
        this.log.error({ err: writeError }, 'could not record the sink runner state');
      }
    });
    return this.showing;
  }
}

/**
 * At most `size` records from `from` on, ending before a record's second version: the batches of a
 * window are written side by side and retried each on its own, so two versions of one record in one
 * window could arrive out of order. The cut depends only on the plan and where the window starts,
 * so a restarted runner that sends a kept plan again from a window's start cuts the same windows.
 */
function windowOfDistinctRecords<R extends SinkRecordKey>(records: readonly R[], from: number, size: number): R[] {
  const seen = new Set<string>();
  let end = from;
  while (end < records.length && end - from < size) {
    const row = records[end]!;
    const key = `${row.sync_id}\u0000${row.collection_id}\u0000${row.upstream_id}`;
    if (seen.has(key)) break;
    seen.add(key);
    end++;
  }
  return records.slice(from, end);
}

/**
 * The kept plans a restarted runner sends again, from `position` on: each from its first record
 * past the position, as long as they follow one another from where the position is (anything else
 * is read again).
 */
function resumable<R extends SinkRecordKey>(kept: SinkKeptPlan<R>[], position: bigint): Plan<R>[] {
  const plans: Plan<R>[] = [];
  let reach = position;
  for (const plan of kept) {
    if (plan.after > reach) break;
    const next = plan.records.findIndex((record) => BigInt(record.updated_idx) > reach);
    if (next === -1) continue;
    plans.push({ records: plan.records, next });
    reach = BigInt(plan.records[plan.records.length - 1]!.updated_idx);
  }
  return plans;
}
