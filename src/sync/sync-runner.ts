import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../app-context.ts';
import { withLogContext } from '../logger.ts';
import { appendRecords } from './ingest/append-records.ts';
import { appendBackfillPages, prepareBatch, type PreparedBatch } from './ingest/backfill-pages.ts';
import { appendSyncProgressInTransaction } from './ingest/sync-progress.ts';
import { handleSync, recordSyncProgress } from '../commands/syncs.ts';
import type { ProgressCommand } from '../domain/syncs/decide.ts';
import type { RateLimit } from '../domain/syncs/events.ts';
import type { Sync, SyncCollection } from '../generated/prisma/client.ts';
import type { RateLimiter } from './http/rate-limiter.ts';
import { withCollectionLock } from './collection-locks.ts';
import { BackfillScan, type ScanTarget } from './backfill-scan.ts';
import { PageReadAhead } from './page-read-ahead.ts';
import { createUpstreamFetch } from './http/upstream-fetch.ts';
import { egressFetch } from '../net/egress-fetch.ts';
import { loadProviderCredential } from './provider-credential.ts';
import { oauthTokenSource } from './oauth/token-source.ts';
import { rateLimiters } from './rate-limiters.ts';
import type { ListPage, Provider, ProviderContext, ProviderSession } from './providers/provider.ts';
import { requireProvider } from './providers/registry.ts';
import { CrashGuard } from './crash-guard.ts';
import {
  afterAnswer,
  afterFailure,
  afterStep,
  backfillPageCheckpoint,
  collectionState,
  nextCall,
  type Answer,
  type BackfillPage,
  type Call,
  type Checkpoint,
  type Effect,
} from './collection-step.ts';
import { classifyStepFailure, type StepFailure } from './step-failure.ts';
import { bytesOfPage, withReadBudgets } from './providers/read-budgeted-session.ts';
import { inCollection, openSyncActivity } from './in-flight.ts';
import { WebhookHintDrain } from './webhooks/hint-drain.ts';
import { countWebhooks } from './webhooks/hint-store.ts';
import { webhooksHealthy } from './webhooks/webhook-health.ts';
import { WebhookRegistrar } from './webhooks/registration.ts';
import { inSpan, keepContext, NEW_TRACE, withContextOf, type SpanOptions } from '../tracing.ts';

const TELEMETRY_FLUSH_MS = 2_000;
/** Backfill pages are told to live listeners at most this often per sync (notifyProgress). */
const PROGRESS_NOTIFY_MS = 250;
/**
 * Backfill pages read ahead of the ones being written, written together by one statement (at
 * most this many) when the writer fell behind. A 100-object page is ~75 KB of JSON, held as
 * objects and as text: at most twice this many pages are in memory per collection.
 */
export const READ_AHEAD_PAGES = 4;
/** …and at most this many bytes of answers (large pages are read one at a time: issue 21). */
export const READ_AHEAD_BYTES = 4 * 1024 * 1024;

type SyncWithCollections = Sync & { collections: SyncCollection[] };

interface PreparedRead {
  read: ListPage;
  prepared: PreparedBatch;
}

/** Written with other pages by one statement: no tombstones naming only an id (appendBackfillPages). */
const coalescable = (page: PreparedRead) => page.prepared.eventJson !== null;

/** Objects a webhook drain reads at once: the sync's concurrency cap, or a few when it has none. */
const drainConcurrency = (rateLimit: RateLimit) => (rateLimit.maxConcurrentRequests > 0 ? rateLimit.maxConcurrentRequests : 4);

const backfillPage = (read: ListPage): BackfillPage => ({ nextCursor: read.nextCursor, pageRecords: read.objects.length, totalCount: read.totalCount });

/**
 * Runs one sync until stopped: for each collection, backfill page by page from its checkpoint,
 * then poll for changes every `pollIntervalMs`. What each step does next is decided by
 * collection-step.ts; this class makes the provider calls, writes, and performs the effects. All
 * collections share the sync's rate limiter (with the sync's mutations, see rate-limiters.ts).
 * Upstream auth failures put the sync in error and end the run (the scheduler starts it again
 * when the credential or the sync changes); other failures are retried with backoff.
 */
export class SyncRunner {
  private readonly abort = new AbortController();
  private readonly limiter: RateLimiter;
  private readonly session: ProviderSession;
  private readonly provider: Provider;
  private lastPollAt: Date | null = null;
  private readonly readAhead: PageReadAhead<ListPage, PreparedRead>;
  private readonly scan: BackfillScan;
  private retries = 0;
  /** Collections whose last step failed; the sync error clears once none is left. */
  private readonly failing = new Set<string>();
  /** The sync carries an error (from this run or an earlier one) that a success must clear. */
  private errorShown: boolean;
  /** What the run has in flight upstream, per collection (the status shows it). */
  private readonly activity: ReturnType<typeof openSyncActivity>;
  /** Applies the sync's provider webhook hints while webhooks are enabled (docs/PROVIDER-WEBHOOKS.md). */
  private readonly hintDrain: WebhookHintDrain | null;
  /** Keeps the sync's webhook registration upstream, where Syncline registers it. */
  private registrar: WebhookRegistrar | null = null;
  private readonly context: ProviderContext;
  readonly done: Promise<void>;

  private constructor(
    private readonly ctx: AppContext,
    private readonly sync: SyncWithCollections,
    contextFor: (provider: Provider, fetch: typeof globalThis.fetch) => ProviderContext,
    private readonly crashGuard: CrashGuard,
  ) {
    const rateLimit = sync.rateLimit as RateLimit;
    this.errorShown = sync.lastError !== null;
    this.activity = openSyncActivity(sync.id);
    this.provider = requireProvider(sync.provider);
    this.readAhead = new PageReadAhead(
      sync.id,
      READ_AHEAD_PAGES,
      {
        list: (collectionId, cursor) => this.listPage(collectionId, cursor),
        nextCursor: (read) => read.nextCursor,
        prepare: (collectionId, read) => this.prepareRead(collectionId, read),
        weight: (read) => bytesOfPage(read),
      },
      READ_AHEAD_BYTES,
    );
    this.scan = new BackfillScan(ctx);
    this.limiter = rateLimiters.forSync(sync.id, rateLimit, ctx.pool);
    // The limiter outlives runs, so its totals include requests an earlier run already flushed.
    const { requestsMade, waitMs } = this.limiter.stats();
    this.flushed = { requests: requestsMade, waitMs, retries: 0, pollAt: null };
    const fetch = createUpstreamFetch({
      limiter: this.limiter,
      fetch: egressFetch(ctx.config),
      ...(this.provider.isRateLimited ? { isRateLimited: this.provider.isRateLimited } : {}),
      ...(this.provider.quotaPauseMs ? { quotaPauseMs: this.provider.quotaPauseMs } : {}),
      signal: this.abort.signal,
      maxBodyBytes: ctx.config.SYNCLINE_MAX_UPSTREAM_BODY_BYTES,
      activity: this.activity.activity,
      provider: sync.provider,
      onEvent: (event) => {
        if (event.type === 'retry') this.retries++;
        this.ctx.logger.debug({ syncId: sync.id, ...event }, 'upstream request event');
        if (event.type === 'rate_limited') this.ctx.logger.info({ syncId: sync.id, waitMs: event.waitMs }, 'upstream rate limit: waiting');
      },
    });
    const context = contextFor(this.provider, fetch);
    this.session = withReadBudgets(this.provider.connect(context), ctx.config.SYNCLINE_MAX_UPSTREAM_STEP_BYTES);
    this.context = context;
    this.hintDrain =
      sync.webhooksEnabled && this.provider.webhooks && this.session.fetchObject
        ? new WebhookHintDrain(ctx, { syncId: sync.id, streamId: sync.streamId, collectionIds: sync.collectionIds, concurrency: drainConcurrency(rateLimit) }, this.session)
        : null;
    // Every line of the run names the sync and its account (and the collection, in a collection's steps).
    this.done = withLogContext({ syncId: sync.id, accountId: sync.accountId }, () => this.run(), { fresh: true });
  }

  /** Starts a run; null when the credential is gone (the sync is put in error). */
  static async start(ctx: AppContext, sync: SyncWithCollections): Promise<SyncRunner | null> {
    const credential = await loadProviderCredential(ctx, sync.credentialId);
    if (!credential) {
      await handleSync(ctx, {
        type: 'FailSync',
        data: { syncId: sync.id, accountId: sync.accountId, code: 'credential_missing', message: 'the sync credential was deleted', collectionId: null },
        metadata: { now: ctx.now() },
      });
      return null;
    }
    const crashGuard = await CrashGuard.begin(ctx, sync);
    if (!crashGuard) return null; // put in error: it killed the process too often
    return new SyncRunner(ctx, sync, (provider, fetch) => ({ credential, fetch, oauth: oauthTokenSource(ctx, provider, sync.credentialId, credential, fetch) }), crashGuard);
  }

  /** true once `stop()` was called, as opposed to a run that ended by itself. */
  stoppedByScheduler = false;

  async stop(): Promise<void> {
    this.stoppedByScheduler = true;
    this.abort.abort();
    await this.done;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    this.ctx.logger.info({ stateChange: 'sync.started', provider: this.sync.provider, generation: this.sync.generation, collections: this.sync.collectionIds }, 'sync run started');
    const flush = setInterval(() => void this.flushTelemetry(), TELEMETRY_FLUSH_MS);
    this.hintDrain?.start();
    if (this.provider.webhooks) {
      this.registrar = new WebhookRegistrar(this.ctx, this.sync, this.provider, this.context, this.abort.signal, (outcome) =>
        handleSync(this.ctx, { type: 'RecordWebhookRegistration', data: { ...this.ref(), ...outcome }, metadata: { now: this.ctx.now() } }),
      );
    }
    try {
      await Promise.all(this.sync.collections.map((collection) => inCollection(collection.collectionId, () => withLogContext({ collectionId: collection.collectionId }, () => this.runCollection(collection)))));
    } finally {
      clearInterval(flush);
      await this.hintDrain?.stop();
      await this.registrar?.stop();
      this.activity.release();
      await this.crashGuard.clear();
      if (this.progressTimer) clearTimeout(this.progressTimer);
      if (this.progressPending) this.ctx.bus.publish({ channel: 'sync', syncId: this.sync.id });
      await this.flushTelemetry();
    }
  }

  private target(collectionId: string): ScanTarget {
    return { syncId: this.sync.id, generation: this.sync.generation, streamId: this.sync.streamId, collectionId };
  }

  private ref() {
    return { syncId: this.sync.id, accountId: this.sync.accountId };
  }

  private progress({ type, data }: Checkpoint): ProgressCommand {
    return { type, data: { ...this.ref(), generation: this.sync.generation, ...data }, metadata: { now: this.ctx.now() } } as ProgressCommand;
  }

  /** Steps the collection (collection-step.ts) until the run stops, making its calls and performing their effects. */
  private async runCollection(stored: SyncCollection): Promise<void> {
    let state = collectionState(stored);
    while (!this.stopped) {
      let failure: StepFailure | null = null;
      try {
        for (;;) {
          const transition = afterAnswer(state, await this.call(state.collectionId, nextCall(state)));
          state = transition.counted;
          await this.perform(state.collectionId, transition.effects);
          state = transition.next;
          if (transition.then === 'call') continue;
          if (transition.then === 'step_done') await this.perform(state.collectionId, afterStep());
          else failure = transition.then.failed;
          break;
        }
      } catch (error) {
        failure = classifyStepFailure(error, this.provider.displayName);
      }
      if (!failure) continue;
      const handling = afterFailure(state, this.stopped ? { kind: 'stopped' } : failure, Math.random());
      await this.perform(state.collectionId, handling.effects);
      state = handling.next;
      if (!handling.retry) return;
    }
  }

  /** Makes a step's call: what the provider answered, its pages and changes written. */
  private async call(collectionId: string, call: Call): Promise<Answer> {
    switch (call.type) {
      case 'initial_cursor':
        return { type: 'initial_cursor', changesCursor: await this.session.initialChangesCursor(collectionId) };
      case 'backfill_pages': {
        const { cursor } = call;
        const page = await withCollectionLock(this.sync.id, collectionId, async () => {
          // The pages read ahead while the previous write ran, all written at once; else this one.
          const reads = await (this.readAhead.take(collectionId, cursor, READ_AHEAD_PAGES, coalescable) ?? this.readFirstPage(collectionId, cursor));
          await withContextOf(reads[0]!.read, () => this.writeBackfillPages(this.target(collectionId), reads));
          return reads[reads.length - 1]!.read;
        });
        return { type: 'backfill_pages', last: backfillPage(page) };
      }
      case 'changes': {
        const { cursor } = call;
        const { page, written } = await this.readAndAppend(collectionId, 'changes', () => this.session.changesSince(collectionId, cursor));
        // Versions written, not objects listed: a provider without a change feed re-lists what did not change.
        return { type: 'changes', cursor: page.cursor, hasMore: page.hasMore, changes: written };
      }
    }
  }

  private async perform(collectionId: string, effects: readonly Effect[]): Promise<void> {
    for (const effect of effects) await this.performOne(collectionId, effect);
  }

  private async performOne(collectionId: string, effect: Effect): Promise<void> {
    switch (effect.type) {
      case 'begin_scan':
        return this.scan.begin(this.target(collectionId));
      case 'complete_scan': {
        const removed = await this.scan.complete(this.target(collectionId));
        if (removed > 0) this.ctx.logger.info({ syncId: this.sync.id, collectionId, removed }, 'backfill: records of objects gone upstream tombstoned');
        return;
      }
      case 'checkpoint':
        return recordSyncProgress(this.ctx, this.progress(effect.checkpoint));
      case 'notify_progress':
        return this.notifyProgress();
      case 'poll_done':
        this.lastPollAt = this.ctx.now();
        return;
      case 'wait_for_next_poll':
        return this.pause(await this.nextPollInMs());
      case 'log':
        return this.ctx.logger[effect.level]({ syncId: this.sync.id, ...effect.fields }, effect.message);
      case 'fail_sync': {
        const failed = this.fail(effect.code, effect.message, collectionId);
        return effect.bestEffort ? failed.catch(() => undefined) : failed;
      }
      case 'stop_run':
        return this.abort.abort();
      case 'discard_read_ahead':
        return this.readAhead.discard(collectionId);
      case 'step_ended':
        return this.crashGuard.stepEnded(collectionId);
      case 'clear_error':
        return this.recoverIfFailed(collectionId);
      case 'wait_to_retry': {
        const waited = this.activity.activity.waiting('step_retry', effect.ms);
        await this.pause(effect.ms);
        waited();
        return;
      }
      default:
        return effect satisfies never;
    }
  }

  /** A page read under the lock, the reading ahead started after it. */
  private async readFirstPage(collectionId: string, cursor: string | null): Promise<PreparedRead[]> {
    const read = await this.readPage(collectionId, cursor);
    if (read.read.nextCursor) this.readAhead.start(collectionId, read.read.nextCursor);
    return [read];
  }

  /**
   * Consecutive backfill pages, in order, each with its records, what it listed and its
   * checkpoint, in one transaction. A page with tombstones naming only an id (they take the
   * stored data first) comes alone, written statement by statement. The last page's checkpoint
   * waits for the scan's completion (collection-step.ts).
   */
  private async writeBackfillPages(target: ScanTarget, reads: PreparedRead[]): Promise<void> {
    const checkpoint = (read: ListPage) => (read.nextCursor !== null ? this.progress(backfillPageCheckpoint(target.collectionId, backfillPage(read))) : null);
    const [{ read, prepared }] = reads as [PreparedRead];
    if (prepared.eventJson !== null) {
      await appendBackfillPages(this.ctx, reads.map((r) => ({ prepared: r.prepared, checkpoint: checkpoint(r.read) })), await this.scan.tracks(target));
      return;
    }
    await appendRecords(this.ctx, prepared.batch, {
      alsoInTransaction: async (db) => {
        await this.scan.saw(target, read.objects.map((o) => o.upstreamId), db);
        const stored = checkpoint(read);
        if (stored) await appendSyncProgressInTransaction(this.ctx, db, stored);
      },
    });
  }

  /** Reads the changes and appends them, with no mutation of the collection in between (collection-locks.ts). */
  private readAndAppend<P extends { objects: Parameters<typeof appendRecords>[1]['objects'] }>(
    collectionId: string,
    source: 'changes',
    read: () => Promise<P>,
  ): Promise<{ page: P; written: number }> {
    return withCollectionLock(this.sync.id, collectionId, () => inSpan('syncline.sync.page', () => this.pageSpan(collectionId, source), async (span) => {
      const page = await read();
      span.setAttribute('syncline.records.objects', page.objects.length);
      const versions = await appendRecords(this.ctx, { syncId: this.sync.id, streamId: this.sync.streamId, collectionId, source, objects: page.objects });
      // What a poll finds while webhooks are on, webhooks missed (or had not brought yet).
      if (this.sync.webhooksEnabled && versions.length > 0) await countWebhooks(this.ctx.pool, this.sync.id, { changesMissed: versions.length });
      return { page, written: versions.length };
    }));
  }

  /**
   * A page listed upstream, in a span that begins a trace of its own: the write of its records
   * continues it (withContextOf), and their deliveries hang from that.
   */
  private listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    return inSpan('syncline.sync.page', () => this.pageSpan(collectionId, 'backfill'), async (span) => {
      const page = await this.session.listPage(collectionId, cursor);
      span.setAttribute('syncline.records.objects', page.objects.length);
      return keepContext(page);
    });
  }

  private pageSpan(collectionId: string, phase: 'backfill' | 'changes'): SpanOptions {
    const attributes = { 'syncline.provider': this.sync.provider, 'syncline.sync.id': this.sync.id, 'syncline.collection': collectionId, 'syncline.sync.phase': phase };
    return { parent: NEW_TRACE, attributes };
  }

  /** A backfill page and its records' JSON, hashed (prepareBatch). */
  private async readPage(collectionId: string, cursor: string | null): Promise<PreparedRead> {
    return this.prepareRead(collectionId, await this.listPage(collectionId, cursor));
  }

  private prepareRead(collectionId: string, read: ListPage): PreparedRead {
    const batch = { syncId: this.sync.id, streamId: this.sync.streamId, collectionId, source: 'backfill' as const, objects: read.objects };
    return { read, prepared: prepareBatch(batch) };
  }

  private async fail(code: string, message: string, collectionId: string): Promise<void> {
    this.failing.add(collectionId);
    this.errorShown = true;
    await handleSync(this.ctx, { type: 'FailSync', data: { ...this.ref(), code, message, collectionId }, metadata: { now: this.ctx.now() } });
  }

  private async recoverIfFailed(collectionId: string): Promise<void> {
    this.failing.delete(collectionId);
    if (!this.errorShown || this.failing.size > 0) return;
    this.errorShown = false;
    await handleSync(this.ctx, { type: 'RecoverSync', data: this.ref(), metadata: { now: this.ctx.now() } });
  }

  private progressTimer: NodeJS.Timeout | null = null;

  /**
   * Tells live listeners (status subscriptions, the scheduler) that a backfill page was stored,
   * at most every PROGRESS_NOTIFY_MS per sync and always after the last page of a burst: each
   * notice makes the scheduler reload the sync, which per page cost the backfill a share of its
   * CPU. State changes (start, end, errors, pauses) are still told at once, by their commands.
   */
  private notifyProgress(): void {
    if (this.progressTimer) {
      this.progressPending = true;
      return;
    }
    this.ctx.bus.publish({ channel: 'sync', syncId: this.sync.id });
    this.progressTimer = setTimeout(() => {
      this.progressTimer = null;
      if (!this.progressPending) return;
      this.progressPending = false;
      this.notifyProgress();
    }, PROGRESS_NOTIFY_MS);
    this.progressTimer.unref();
  }

  private progressPending = false;

  /**
   * `pollIntervalMs`, or the webhooks' `reconcileIntervalMs` while they are healthy: a verified
   * webhook arrived within that interval, or the registration upstream is current.
   */
  private async nextPollInMs(): Promise<number> {
    const { pollIntervalMs, webhookReconcileIntervalMs: reconcileMs } = this.sync;
    if (!this.hintDrain || reconcileMs === null || reconcileMs <= pollIntervalMs) return pollIntervalMs;
    const healthy = this.registrar?.registered || (await webhooksHealthy(this.ctx, this.sync.id, reconcileMs).catch(() => false));
    return healthy ? reconcileMs : pollIntervalMs;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  /**
   * Adds what the run did since the last flush to `sync_runtime` and, per collection, to
   * `sync_collection_runtime` (requests, delete detection requests: in-flight.ts), in one
   * statement. A failed flush leaves its deltas for the next one.
   */
  private flushTelemetry(): Promise<void> {
    // One flush at a time: two in flight would both add the deltas since the same `flushed`.
    this.flushing = this.flushing.then(() => this.flushTelemetryNow());
    return this.flushing;
  }

  private flushing: Promise<void> = Promise.resolve();

  private async flushTelemetryNow(): Promise<void> {
    const stats = this.limiter.stats();
    const { retries, lastPollAt } = this;
    const collections = this.activity.activity.drainRequestCounts();
    // An idle sync writes nothing: 1,000 polling syncs made 500 upserts a second of no news.
    const idle = stats.requestsMade === this.flushed.requests && stats.waitMs === this.flushed.waitMs && retries === this.flushed.retries && lastPollAt === this.flushed.pollAt;
    if (idle && collections.size === 0) return;
    const counted = [...collections];
    await this.ctx.pool
      .query(
        `WITH sync_totals AS (
           INSERT INTO sync_runtime (sync_id, requests_made, rate_limit_wait_ms, retries, last_poll_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, now())
           ON CONFLICT (sync_id) DO UPDATE SET requests_made = sync_runtime.requests_made + EXCLUDED.requests_made,
             rate_limit_wait_ms = sync_runtime.rate_limit_wait_ms + EXCLUDED.rate_limit_wait_ms,
             retries = sync_runtime.retries + EXCLUDED.retries,
             last_poll_at = COALESCE(EXCLUDED.last_poll_at, sync_runtime.last_poll_at), updated_at = now()
         )
         INSERT INTO sync_collection_runtime (sync_id, collection_id, requests_made, delete_detection_requests, updated_at)
         SELECT $1, c.collection_id, c.requests, c.delete_detection, now()
         FROM unnest($6::text[], $7::bigint[], $8::bigint[]) AS c(collection_id, requests, delete_detection)
         ON CONFLICT (sync_id, collection_id) DO UPDATE SET requests_made = sync_collection_runtime.requests_made + EXCLUDED.requests_made,
           delete_detection_requests = sync_collection_runtime.delete_detection_requests + EXCLUDED.delete_detection_requests, updated_at = now()`,
        [
          this.sync.id,
          stats.requestsMade - this.flushed.requests,
          Math.round(stats.waitMs - this.flushed.waitMs),
          retries - this.flushed.retries,
          lastPollAt,
          counted.map(([collectionId]) => collectionId),
          counted.map(([, c]) => c.requests),
          counted.map(([, c]) => c.deleteDetection),
        ],
      )
      .then(() => {
        this.flushed = { requests: stats.requestsMade, waitMs: stats.waitMs, retries, pollAt: lastPollAt };
      })
      .catch((error: unknown) => {
        this.activity.activity.restoreRequestCounts(collections);
        this.ctx.logger.debug({ err: error }, 'telemetry flush failed');
      });
  }

  private flushed: { requests: number; waitMs: number; retries: number; pollAt: Date | null } = { requests: 0, waitMs: 0, retries: 0, pollAt: null };
}
