import type { AppContext } from '../../app-context.ts';
import type { NatsConsumer } from '../../generated/prisma/client.ts';
import { PublisherLeases } from './publisher-leases.ts';
import { NatsPublisher } from './publisher.ts';
import { CoalescedTask } from '../../coalesced-task.ts';

/** Consumer changes made through any process are picked up within this delay. */
const RECONCILE_MS = 1_000;

export interface SupervisorOptions {
  /** Several processes may share the database (PostgreSQL, not the embedded one). */
  crossProcess: boolean;
}

/**
 * Keeps one publisher per NATS consumer (and one per consumer across processes, see
 * PublisherLeases), restarting it when the consumer changes (its `generation`), stopping it when
 * the consumer is deleted and when the app shuts down.
 */
export class NatsPublisherSupervisor {
  private readonly publishers = new Map<string, { publisher: NatsPublisher; generation: number }>();
  private readonly leases: PublisherLeases;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly reconciler = new CoalescedTask(
    () => this.reconcile(),
    (error) => this.ctx.logger.error({ err: error }, 'nats publisher supervision failed'),
  );

  constructor(
    private readonly ctx: AppContext,
    options: SupervisorOptions,
  ) {
    const connectionString = options.crossProcess ? (ctx.pool.options.connectionString ?? null) : null;
    this.leases = new PublisherLeases(connectionString, ctx.logger, () => this.schedule());
  }

  start(): void {
    this.timer = setInterval(() => this.schedule(), RECONCILE_MS);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.reconciler.settled();
    await Promise.all([...this.publishers.values()].map(({ publisher }) => publisher.stop()));
    this.publishers.clear();
    await this.leases.close();
  }

  private schedule(): void {
    if (!this.stopped) this.reconciler.request();
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const consumers = new Map((await this.ctx.prisma.natsConsumer.findMany()).map((c) => [c.id, c]));
    for (const [consumerId, { publisher, generation }] of this.publishers) {
      const consumer = consumers.get(consumerId);
      if (consumer && consumer.generation === generation && this.leases.holds(consumerId)) continue;
      await publisher.stop();
      this.publishers.delete(consumerId);
      if (!consumer) await this.leases.release(consumerId);
    }
    for (const consumer of consumers.values()) {
      if (this.publishers.has(consumer.id) || this.stopped) continue;
      if (await this.leases.tryAcquire(consumer.id)) this.startPublisher(consumer);
    }
  }

  private startPublisher(consumer: NatsConsumer): void {
    this.ctx.logger.info({ natsConsumerId: consumer.id, natsConsumer: consumer.name }, 'nats publisher started');
    this.publishers.set(consumer.id, { publisher: new NatsPublisher(this.ctx, consumer), generation: consumer.generation });
  }
}
