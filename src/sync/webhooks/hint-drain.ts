import type { AppContext } from '../../app-context.ts';
import { CoalescedTask } from '../../coalesced-task.ts';
import { appendRecords } from '../ingest/append-records.ts';
import { withCollectionLock } from '../collection-locks.ts';
import { UpstreamRequestError, type ProviderSession, type UpstreamObject } from '../providers/provider.ts';
import { pendingHints, pruneWebhookState, removeHints, type StoredHint } from './hint-store.ts';

/** Hints read per round; each collection's share is fetched and written under its lock. */
const BATCH = 100;
/** The safety net beside the bus signal: a missed signal, or hints a failed fetch left, wait at most this long. */
export const DRAIN_INTERVAL_MS = 5_000;

export interface DrainTarget {
  syncId: string;
  streamId: string;
  collectionIds: readonly string[];
  /** Objects read at once (the sync's rate limiter still paces them). */
  concurrency: number;
}

/**
 * Applies a sync's webhook hints (docs/PROVIDER-WEBHOOKS.md, "Applying"): for each object named,
 * under its collection's lock, reads the object's current state upstream (`fetchObject`, through
 * the sync's rate-limited fetch) and appends it through the records path as source `webhook` —
 * the same hash comparison as a poll, so a version seen by both is recorded once. An object gone
 * upstream becomes a tombstone keeping its last data. A hint is removed only once its object is
 * written, and only if no webhook named the object again meanwhile.
 */
export class WebhookHintDrain {
  private readonly task: CoalescedTask;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly target: DrainTarget,
    private readonly session: ProviderSession,
  ) {
    this.task = new CoalescedTask(
      () => this.drain(),
      (error) => {
        if (!this.stopped) this.ctx.logger.warn({ err: error, syncId: target.syncId }, 'webhook hints: drain failed');
      },
    );
  }

  start(): void {
    this.unsubscribe = this.ctx.bus.on('webhook-hints', (message) => {
      if (message.syncId === this.target.syncId) this.request();
    });
    this.timer = setInterval(() => this.request(), DRAIN_INTERVAL_MS);
    this.timer.unref();
    void pruneWebhookState(this.ctx.pool, this.target.syncId, this.target.collectionIds).catch(() => undefined);
    this.request();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.task.settled();
  }

  request(): void {
    if (!this.stopped) this.task.request();
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const hints = await pendingHints(this.ctx.pool, this.target.syncId, BATCH);
      if (hints.length === 0) return;
      const byCollection = new Map<string, StoredHint[]>();
      for (const hint of hints) byCollection.set(hint.collectionId, [...(byCollection.get(hint.collectionId) ?? []), hint]);
      let settled = 0;
      for (const [collectionId, collectionHints] of byCollection) {
        if (this.stopped) return;
        settled += await this.apply(collectionId, collectionHints);
      }
      // What failed stays for the timer: no hot loop against an upstream that fails.
      if (settled < hints.length) return;
    }
  }

  /** Reads and writes one collection's hinted objects; answers how many hints were settled (removed). */
  private async apply(collectionId: string, hints: StoredHint[]): Promise<number> {
    const { syncId, streamId } = this.target;
    const settled = await withCollectionLock(syncId, collectionId, async () => {
      const reads = await inBatches(hints, this.target.concurrency, (hint) => this.read(collectionId, hint));
      const objects = reads.flatMap((r) => (r.kind === 'read' ? [r.object] : []));
      await appendRecords(this.ctx, { syncId, streamId, collectionId, source: 'webhook', objects });
      return hints.filter((_, i) => reads[i]!.kind !== 'failed');
    });
    await removeHints(this.ctx.pool, syncId, settled);
    return settled.length;
  }

  private async read(collectionId: string, hint: StoredHint): Promise<{ kind: 'read'; object: UpstreamObject } | { kind: 'dropped' } | { kind: 'failed' }> {
    try {
      const object = await this.session.fetchObject!(collectionId, hint.upstreamId);
      return { kind: 'read', object: object ?? goneObject(hint.upstreamId) };
    } catch (error) {
      // A request the upstream refuses for good (400, 422…) would be refused again: the next poll covers the object.
      if (error instanceof UpstreamRequestError) {
        this.ctx.logger.warn({ err: error, syncId: this.target.syncId, collectionId, upstreamId: hint.upstreamId }, 'webhook hint dropped: the upstream refuses to read the object');
        return { kind: 'dropped' };
      }
      if (!this.stopped) this.ctx.logger.info({ err: error, syncId: this.target.syncId, collectionId, upstreamId: hint.upstreamId }, 'webhook hint: read failed, kept for a retry');
      return { kind: 'failed' };
    }
  }
}

/** Gone upstream (`fetchObject` answered null): a tombstone that keeps the record's last data (append-records.ts). */
const goneObject = (upstreamId: string): UpstreamObject => ({
  upstreamId,
  data: { id: upstreamId },
  upstreamCreatedAt: null,
  upstreamUpdatedAt: null,
  deleted: true,
  partialTombstone: true,
});

/** `work` over `items`, at most `limit` at once, answers in order. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
