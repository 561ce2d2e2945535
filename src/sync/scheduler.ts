import type { AppContext } from '../app-context.ts';
import { SyncRunner } from './sync-runner.ts';
import { CoalescedTask } from '../coalesced-task.ts';
import { leaseGuardedContext } from './leases/guarded-context.ts';
import type { SyncLeases } from './leases/sync-leases.ts';

const RECONCILE_MS = 3_000;
const REMOTE_SIGNAL_BATCH_MS = 500;

/**
 * Keeps one runner per unpaused sync, restarting it when the sync (its `generation`: update,
 * resume, resync) or its credential changes. A run that ended by itself (upstream auth failure,
 * credential gone) is not retried until such a change. Reacts at once to sync events (local, and
 * from other processes through the live bus) and reconciles on a timer.
 *
 * With `leases` (PostgreSQL, several processes possible; docs/DEPLOY.md) a sync runs only where
 * its lease is held: each instance takes free or expired leases up to its share of the unpaused
 * syncs (ceil(syncs / live instances)), runs them with a lease-guarded context (every write
 * checks the lease), keeps the lease of a run that ended by itself (so no other instance retries
 * it before the sync changes), releases it when the sync is paused or deleted, and stops a run at
 * once when its lease is lost. Without (embedded database, one process) every sync runs here.
 */
export class SyncScheduler {
  private readonly runners = new Map<string, { runner: SyncRunner; fingerprint: string }>();
  /** Fingerprint of the sync version whose run ended by itself. */
  private readonly ended = new Map<string, string>();
  /** Runs being stopped after their lease was lost: not restarted before they are. */
  private readonly stopping = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private readonly reconciler = new CoalescedTask(
    () => this.reconcile(),
    (error) => this.ctx.logger.error({ err: error }, 'sync scheduling failed'),
  );

  constructor(
    private readonly ctx: AppContext,
    private readonly leases: SyncLeases | null = null,
  ) {}

  start(): void {
    this.leases?.onLost((syncId) => this.lost(syncId));
    // Other processes' sync signals (a backfill sends one per page) are batched.
    this.unsubscribe = this.ctx.bus.on('sync', (message) => (message.remote ? this.scheduleSoon() : this.schedule()));
    this.timer = setInterval(() => this.schedule(), RECONCILE_MS);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    await this.reconciler.settled();
    await Promise.all([...this.runners.values()].map(({ runner }) => runner.stop().catch(() => undefined)));
    await Promise.all(this.stopping.values());
    this.runners.clear();
  }

  private schedule(): void {
    if (!this.stopped) this.reconciler.request();
  }

  private soon: NodeJS.Timeout | null = null;

  private scheduleSoon(): void {
    this.soon ??= setTimeout(() => {
      this.soon = null;
      this.schedule();
    }, REMOTE_SIGNAL_BATCH_MS);
  }

  private lost(syncId: string): void {
    this.ended.delete(syncId);
    const entry = this.runners.get(syncId);
    this.runners.delete(syncId);
    if (entry) {
      const stopping = entry.runner
        .stop()
        .catch((error: unknown) => this.ctx.logger.warn({ err: error, syncId }, 'sync run failed while stopping'))
        .finally(() => {
          if (this.stopping.get(syncId) === stopping) this.stopping.delete(syncId);
          this.schedule();
        });
      this.stopping.set(syncId, stopping);
    }
    this.schedule();
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const syncs = await this.ctx.prisma.sync.findMany({ where: { paused: false }, include: { collections: true } });
    const credentials = await this.ctx.prisma.credential.findMany({
      where: { id: { in: syncs.map((s) => s.credentialId) } },
      select: { id: true, updatedAt: true },
    });
    const credentialVersion = new Map(credentials.map((c) => [c.id, c.updatedAt.getTime()]));
    const wanted = new Map(
      syncs
        .map((sync) => ({ sync, fingerprint: `${sync.generation}:${sync.credentialId}:${credentialVersion.get(sync.credentialId) ?? 'none'}` }))
        .filter(({ sync, fingerprint }) => this.ended.get(sync.id) !== fingerprint)
        .map((entry) => [entry.sync.id, entry]),
    );
    for (const [syncId, { runner, fingerprint }] of this.runners) {
      if (wanted.get(syncId)?.fingerprint === fingerprint && (!this.leases || this.leases.holds(syncId))) continue;
      await runner.stop().catch(() => undefined);
      this.runners.delete(syncId);
    }
    if (this.leases) await this.balanceLeases(new Set(syncs.map((s) => s.id)), [...wanted.keys()]);
    for (const [syncId, { sync, fingerprint }] of wanted) {
      if (this.runners.has(syncId) || this.stopping.has(syncId) || this.stopped) continue;
      const guard = this.leases ? this.leases.guard(syncId) : null;
      if (this.leases && !guard) continue;
      const runner = await SyncRunner.start(guard ? leaseGuardedContext(this.ctx, guard) : this.ctx, sync);
      if (!runner) {
        this.ended.set(syncId, fingerprint);
        continue;
      }
      this.runners.set(syncId, { runner, fingerprint });
      const ended = (error?: unknown) => {
        if (error) this.ctx.logger.warn({ err: error, syncId }, 'sync run failed');
        if (this.runners.get(syncId)?.runner !== runner || runner.stoppedByScheduler) return;
        this.runners.delete(syncId);
        // A run that ended because its lease went is not "ended by itself": whoever holds the lease runs it.
        if (guard && !guard.isHeld()) return this.schedule();
        this.ended.set(syncId, fingerprint);
      };
      void runner.done.then(() => ended(), ended);
    }
  }

  /** Releases the leases of syncs paused or deleted; takes free ones up to this instance's share. */
  private async balanceLeases(unpaused: Set<string>, wanted: string[]): Promise<void> {
    const leases = this.leases!;
    for (const syncId of leases.heldSyncIds()) {
      if (unpaused.has(syncId) || this.runners.has(syncId)) continue;
      this.ended.delete(syncId);
      await leases.release(syncId);
    }
    const candidates = wanted.filter((id) => !leases.holds(id) && !this.stopping.has(id));
    if (candidates.length === 0 || this.stopped) return;
    const share = Math.ceil(unpaused.size / (await leases.liveSyncInstances()));
    const room = share - leases.heldSyncIds().length;
    if (room <= 0) return;
    // In random order, so that instances reconciling at once mostly ask for different syncs.
    const shuffled = candidates.map((id) => ({ id, key: Math.random() })).sort((a, b) => a.key - b.key);
    await leases.tryAcquire(shuffled.slice(0, room).map((c) => c.id));
  }
}
