import type { AppContext } from '../../app-context.ts';
import { CoalescedTask } from '../../coalesced-task.ts';
import { SinkLeases } from './leases.ts';
import { SinkRunner, type SinkRunnerOptions } from './runner.ts';
import { deleteSinkRuntime, sweepSinkRuntimes } from './runtime.ts';
import type { SinkConsumer, SinkKind } from './sink.ts';

/** Consumer changes made through any process are picked up within this delay. */
const RECONCILE_MS = 1_000;
/** Every this many reconciles, runtime rows of consumers deleted while no process ran them go. */
const SWEEP_EVERY = 60;
/** A stop waits this long for the runners and a reconcile in progress, then says which did not end and goes on. */
const STOP_WAIT_MS = 15_000;

export interface SupervisorOptions {
  /** Several processes may share the database (PostgreSQL, not the embedded one). */
  crossProcess: boolean;
  /** Tests: handed to every runner. */
  runner?: SinkRunnerOptions;
}

interface Running {
  kind: SinkKind;
  consumerId: string;
  runner: SinkRunner;
  generation: number;
}

/**
 * Keeps one sink runner per push consumer of every kind given (and one per consumer across
 * processes, see SinkLeases), restarting it when the consumer changes (its `generation`),
 * stopping it when the consumer is deleted and when the app shuts down. It reconciles every
 * second, and at once when a consumer command says a consumer changed (the live bus).
 */
export class SinkSupervisor {
  private readonly runners = new Map<string, Running>();
  private readonly leases: SinkLeases;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private reconciles = 0;
  private unsubscribe: (() => void) | null = null;
  private readonly reconciler = new CoalescedTask(
    () => this.reconcile(),
    (error) => this.ctx.logger.error({ err: error }, 'sink runner supervision failed'),
  );

  constructor(
    private readonly ctx: AppContext,
    private readonly kinds: readonly SinkKind[],
    private readonly options: SupervisorOptions,
  ) {
    const connectionString = options.crossProcess ? (ctx.pool.options.connectionString ?? null) : null;
    this.leases = new SinkLeases(connectionString, ctx.logger, () => this.schedule());
  }

  start(): void {
    this.timer = setInterval(() => this.schedule(), RECONCILE_MS);
    this.unsubscribe = this.ctx.bus.on('sink-consumers', () => this.schedule());
    this.schedule();
  }

  /**
   * Stops every runner and waits for a reconcile in progress, all at once (a reconcile may itself be
   * stopping a runner). A shutdown is bounded: past STOP_WAIT_MS it logs what has not ended (a CI
   * run once saw an app's close wait minutes here: this names the part next time) and goes on.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    const waiting = new Map<string, Promise<void>>([['reconcile', this.reconciler.settled()]]);
    for (const [id, { runner }] of this.runners) waiting.set(id, runner.stop());
    const pending = new Set(waiting.keys());
    const all = Promise.all([...waiting].map(([name, done]) => done.finally(() => pending.delete(name))));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_WAIT_MS)));
    if ((await Promise.race([all, late])) === 'late') {
      this.ctx.logger.warn({ notEnded: [...pending] }, `sink runners: ${pending.size} part(s) did not end within ${STOP_WAIT_MS} ms of the stop; going on without them`);
    }
    clearTimeout(timer);
    this.runners.clear();
    await this.leases.close();
  }

  private schedule(): void {
    if (!this.stopped) this.reconciler.request();
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const consumers = new Map<string, { kind: SinkKind; consumer: SinkConsumer }>();
    const listed = new Set<SinkKind>();
    await Promise.all(
      this.kinds.map(async (kind) => {
        try {
          for (const consumer of await kind.listConsumers(this.ctx)) consumers.set(key(kind, consumer.id), { kind, consumer });
          listed.add(kind);
        } catch (error) {
          this.ctx.logger.error({ err: error, sinkKind: kind.name }, 'listing the consumers of a sink kind failed');
        }
      }),
    );
    for (const [id, running] of this.runners) {
      // A kind that could not be listed keeps its runners until it can.
      if (!listed.has(running.kind)) continue;
      const found = consumers.get(id);
      if (found && found.consumer.generation === running.generation && !running.runner.finished && this.leases.holds(running.kind.name, running.consumerId)) continue;
      await running.runner.stop();
      this.runners.delete(id);
      if (!found) {
        // Deleted (ids are never reused): the runner that ran it, stopped, takes its row away.
        await deleteSinkRuntime(this.ctx.pool, running.consumerId);
        await this.leases.release(running.kind.name, running.consumerId);
      }
    }
    if (this.reconciles++ % SWEEP_EVERY === 0) {
      for (const kind of listed) {
        const ids = [...consumers.values()].filter((c) => c.kind === kind).map((c) => c.consumer.id);
        const swept = await sweepSinkRuntimes(this.ctx.pool, kind.name, ids);
        if (swept > 0) this.ctx.logger.info({ sinkKind: kind.name, swept }, 'runtime rows of deleted consumers removed');
      }
    }
    for (const [id, { kind, consumer }] of consumers) {
      if (this.runners.has(id) || this.stopped) continue;
      // Stopped while acquiring: no runner starts after a stop.
      if ((await this.leases.tryAcquire(kind.name, consumer.id)) && !this.stopped) this.startRunner(id, kind, consumer);
    }
  }

  private startRunner(id: string, kind: SinkKind, consumer: SinkConsumer): void {
    this.ctx.logger.info({ stateChange: 'consumer.started', sinkKind: kind.name, consumerId: consumer.id, consumer: consumer.name, accountId: consumer.accountId }, `${kind.name} publisher started`);
    this.runners.set(id, { kind, consumerId: consumer.id, runner: new SinkRunner(this.ctx, kind, consumer, this.options.runner), generation: consumer.generation });
  }
}

const key = (kind: SinkKind, consumerId: string) => `${kind.name}:${consumerId}`;
