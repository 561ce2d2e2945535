import type { AppContext } from '../commands/context.ts';
import { SyncRunner } from './sync-runner.ts';
import { CoalescedTask } from '../coalesced-task.ts';

const RECONCILE_MS = 3_000;

/**
 * Keeps one runner per unpaused sync, restarting it when the sync (its `generation`: update,
 * resume, resync) or its credential changes. A run that ended by itself (upstream auth failure,
 * credential gone) is not retried until such a change. Reacts at once to local sync events and
 * reconciles on a timer for changes made by other processes.
 */
export class SyncScheduler {
  private readonly runners = new Map<string, { runner: SyncRunner; fingerprint: string }>();
  /** Fingerprint of the sync version whose run ended by itself. */
  private readonly ended = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private readonly reconciler = new CoalescedTask(
    () => this.reconcile(),
    (error) => this.ctx.logger.error({ err: error }, 'sync scheduling failed'),
  );

  constructor(private readonly ctx: AppContext) {}

  start(): void {
    this.unsubscribe = this.ctx.bus.on('sync', () => this.schedule());
    this.timer = setInterval(() => this.schedule(), RECONCILE_MS);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.reconciler.settled();
    await Promise.all([...this.runners.values()].map(({ runner }) => runner.stop()));
    this.runners.clear();
  }

  private schedule(): void {
    if (!this.stopped) this.reconciler.request();
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
      if (wanted.get(syncId)?.fingerprint === fingerprint) continue;
      await runner.stop();
      this.runners.delete(syncId);
    }
    for (const [syncId, { sync, fingerprint }] of wanted) {
      if (this.runners.has(syncId) || this.stopped) continue;
      const runner = await SyncRunner.start(this.ctx, sync);
      if (!runner) {
        this.ended.set(syncId, fingerprint);
        continue;
      }
      this.runners.set(syncId, { runner, fingerprint });
      void runner.done.then(() => {
        if (this.runners.get(syncId)?.runner !== runner || runner.stoppedByScheduler) return;
        this.runners.delete(syncId);
        this.ended.set(syncId, fingerprint);
      });
    }
  }
}
