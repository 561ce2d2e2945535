import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../app-context.ts';
import { appendRecords } from './ingest/append-records.ts';
import { appendBackfillPages, prepareBatch, type PreparedBatch } from './ingest/backfill-pages.ts';
import { appendSyncProgressInTransaction } from './ingest/sync-progress.ts';
import { handleSync, recordSyncProgress } from '../commands/syncs.ts';
import { StaleRunError, type ProgressCommand } from '../domain/syncs/decide.ts';
import type { RateLimit } from '../domain/syncs/events.ts';
import type { Sync, SyncCollection } from '../generated/prisma/client.ts';
import type { RateLimiter } from './http/rate-limiter.ts';
import { withCollectionLock } from './collection-locks.ts';
import { BackfillScan, type ScanTarget } from './backfill-scan.ts';
import { PageReadAhead } from './page-read-ahead.ts';
import { createUpstreamFetch } from './http/upstream-fetch.ts';
import { egressFetch } from '../net/egress-fetch.ts';
import { EgressRefusedError } from '../errors.ts';
import { loadProviderCredential } from './provider-credential.ts';
import { oauthTokenSource } from './oauth/token-source.ts';
import { rateLimiters } from './rate-limiters.ts';
import { UpstreamAuthError, type ListPage, type Provider, type ProviderSession } from './providers/provider.ts';
import { requireProvider } from './providers/registry.ts';
import { CrashGuard } from './crash-guard.ts';
import { CursorProgress } from './cursor-progress.ts';
import { haltingError } from './halting-errors.ts';
import { bytesOfPage, withReadBudgets } from './providers/read-budgeted-session.ts';
import { inCollection, openSyncActivity } from './in-flight.ts';
import { upstreamErrorMessage } from './http/error-cause.ts';

const MAX_ERROR_BACKOFF_MS = 60_000;
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

/**
 * Runs one sync until stopped: for each collection, backfill page by page from its checkpoint,
 * then poll for changes every `pollIntervalMs`. All collections share the sync's rate limiter
 * (with the sync's mutations, see rate-limiters.ts).
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
  private readonly cursors = new CursorProgress();
  /** What the run has in flight upstream, per collection (the status shows it). */
  private readonly activity: ReturnType<typeof openSyncActivity>;
  readonly done: Promise<void>;

  private constructor(
    private readonly ctx: AppContext,
    private readonly sync: SyncWithCollections,
    session: (provider: Provider, limiter: RateLimiter, fetch: typeof globalThis.fetch) => ProviderSession,
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
        list: (collectionId, cursor) => this.session.listPage(collectionId, cursor),
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
      onEvent: (event) => {
        if (event.type === 'retry') this.retries++;
        this.ctx.logger.debug({ syncId: sync.id, ...event }, 'upstream request event');
        if (event.type === 'rate_limited') this.ctx.logger.info({ syncId: sync.id, waitMs: event.waitMs }, 'upstream rate limit: waiting');
      },
    });
    this.session = withReadBudgets(session(this.provider, this.limiter, fetch), ctx.config.SYNCLINE_MAX_UPSTREAM_STEP_BYTES);
    this.done = this.run();
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
    return new SyncRunner(ctx, sync, (provider, _limiter, fetch) => provider.connect({ credential, fetch, oauth: oauthTokenSource(ctx, provider, sync.credentialId, credential, fetch) }), crashGuard);
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
    const flush = setInterval(() => void this.flushTelemetry(), TELEMETRY_FLUSH_MS);
    try {
      await Promise.all(this.sync.collections.map((collection) => inCollection(collection.collectionId, () => this.runCollection(collection))));
    } finally {
      clearInterval(flush);
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

  private progress(type: ProgressCommand['type'], data: Record<string, unknown>): ProgressCommand {
    return { type, data: { ...this.ref(), generation: this.sync.generation, ...data }, metadata: { now: this.ctx.now() } } as ProgressCommand;
  }

  private async checkpoint(type: ProgressCommand['type'], data: Record<string, unknown>): Promise<void> {
    await recordSyncProgress(this.ctx, this.progress(type, data));
  }

  private async runCollection(progress: SyncCollection): Promise<void> {
    const collectionId = progress.collectionId;
    let changesCursor = progress.changesCursor;
    let backfillCursor = progress.backfillCursor;
    let backfillDone = progress.backfillDone;
    let attempt = 0;
    while (!this.stopped) {
      try {
        if (changesCursor === null) {
          // The new cursor counts only once StartBackfill is stored: a failed checkpoint retries all of it.
          const startCursor = await this.session.initialChangesCursor(collectionId);
          await this.scan.begin(this.target(collectionId));
          await this.checkpoint('StartBackfill', { collectionId, changesCursor: startCursor });
          changesCursor = startCursor;
          backfillCursor = null;
          backfillDone = false;
        }
        if (!backfillDone) {
          const cursor = backfillCursor;
          const target = this.target(collectionId);
          const pageCheckpoint = (read: ListPage) => ({ collectionId, nextCursor: read.nextCursor, pageRecords: read.objects.length, totalCount: read.totalCount });
          const page = await withCollectionLock(this.sync.id, collectionId, async () => {
            // The pages read ahead while the previous write ran, all written at once; else this one.
            const reads = await (this.readAhead.take(collectionId, cursor, READ_AHEAD_PAGES, coalescable) ?? this.readFirstPage(collectionId, cursor));
            await this.writeBackfillPages(target, reads, pageCheckpoint);
            return reads[reads.length - 1]!.read;
          });
          this.cursors.page(collectionId, 'backfill', cursor, page.nextCursor);
          if (page.nextCursor === null) {
            const removed = await this.scan.complete(target);
            if (removed > 0) this.ctx.logger.info({ syncId: this.sync.id, collectionId, removed }, 'backfill: records of objects gone upstream tombstoned');
            await this.checkpoint('RecordBackfillPage', pageCheckpoint(page));
          } else {
            this.notifyProgress();
          }
          backfillCursor = page.nextCursor;
          backfillDone = page.nextCursor === null;
          this.ctx.logger[backfillDone ? 'info' : 'debug'](
            { syncId: this.sync.id, collectionId, pageRecords: page.objects.length, totalCount: page.totalCount, done: backfillDone },
            backfillDone ? 'backfill complete' : 'backfill page',
          );
        } else {
          const cursor = changesCursor;
          const changes = await this.readAndAppend(collectionId, 'changes', () => this.session.changesSince(collectionId, cursor));
          this.lastPollAt = this.ctx.now();
          this.cursors.page(collectionId, 'changes', cursor, changes.hasMore ? changes.cursor : null);
          if (changes.cursor !== changesCursor || changes.objects.length > 0) {
            await this.checkpoint('RecordChanges', { collectionId, cursor: changes.cursor, changes: changes.objects.length });
            changesCursor = changes.cursor;
          }
          if (!changes.hasMore) await this.pause(this.sync.pollIntervalMs);
        }
        attempt = 0;
        this.crashGuard.stepEnded(collectionId);
        await this.recoverIfFailed(collectionId);
      } catch (error) {
        this.readAhead.discard(collectionId);
        this.crashGuard.stepEnded(collectionId);
        if (this.stopped) return;
        if (error instanceof StaleRunError) return; // the scheduler is about to start the new run
        const halt = haltingError(error);
        if (halt) {
          this.ctx.logger.warn({ syncId: this.sync.id, collectionId, code: halt.code, reason: halt.message }, 'sync stopped: retrying cannot help');
          await this.fail(halt.code, halt.message, collectionId);
          this.abort.abort(); // nothing to do until the sync is resumed or updated
          return;
        }
        if (error instanceof UpstreamAuthError) {
          await this.fail('upstream_auth_failed', `${this.provider.displayName} rejected the credential (HTTP ${error.status}): ${error.message}`, collectionId);
          this.abort.abort(); // nothing to do until the credential or the sync changes
          return;
        }
        attempt++;
        const delay = Math.min(MAX_ERROR_BACKOFF_MS, 500 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);
        this.ctx.logger.warn({ syncId: this.sync.id, collectionId, err: error, retryInMs: Math.round(delay) }, 'sync step failed');
        await this.fail(error instanceof EgressRefusedError ? error.code : 'upstream_error', upstreamErrorMessage(error), collectionId).catch(() => undefined);
        const waited = this.activity.activity.waiting('step_retry', delay);
        await this.pause(delay);
        waited();
      }
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
   * waits for the scan's completion (runCollection).
   */
  private async writeBackfillPages(target: ScanTarget, reads: PreparedRead[], pageCheckpoint: (read: ListPage) => Record<string, unknown>): Promise<void> {
    const checkpoint = (read: ListPage) => (read.nextCursor !== null ? this.progress('RecordBackfillPage', pageCheckpoint(read)) : null);
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
  ): Promise<P> {
    return withCollectionLock(this.sync.id, collectionId, async () => {
      const page = await read();
      await appendRecords(this.ctx, { syncId: this.sync.id, streamId: this.sync.streamId, collectionId, source, objects: page.objects });
      return page;
    });
  }

  /** A backfill page and its records' JSON, hashed (prepareBatch). */
  private async readPage(collectionId: string, cursor: string | null): Promise<PreparedRead> {
    return this.prepareRead(collectionId, await this.session.listPage(collectionId, cursor));
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

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async flushTelemetry(): Promise<void> {
    const stats = this.limiter.stats();
    // An idle sync writes nothing: 1,000 polling syncs made 500 upserts a second of no news.
    const { retries, lastPollAt } = this;
    if (stats.requestsMade === this.flushed.requests && stats.waitMs === this.flushed.waitMs && retries === this.flushed.retries && lastPollAt === this.flushed.pollAt) return;
    await this.ctx.pool
      .query(
        `INSERT INTO sync_runtime (sync_id, requests_made, rate_limit_wait_ms, retries, last_poll_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (sync_id) DO UPDATE SET requests_made = sync_runtime.requests_made + EXCLUDED.requests_made,
           rate_limit_wait_ms = sync_runtime.rate_limit_wait_ms + EXCLUDED.rate_limit_wait_ms,
           retries = sync_runtime.retries + EXCLUDED.retries,
           last_poll_at = COALESCE(EXCLUDED.last_poll_at, sync_runtime.last_poll_at), updated_at = now()`,
        [this.sync.id, stats.requestsMade - this.flushed.requests, Math.round(stats.waitMs - this.flushed.waitMs), retries - this.flushed.retries, lastPollAt],
      )
      .then(() => {
        this.flushed = { requests: stats.requestsMade, waitMs: stats.waitMs, retries, pollAt: lastPollAt };
      })
      .catch((error: unknown) => this.ctx.logger.debug({ err: error }, 'telemetry flush failed'));
  }

  private flushed: { requests: number; waitMs: number; retries: number; pollAt: Date | null } = { requests: 0, waitMs: 0, retries: 0, pollAt: null };
}
