import pg from 'pg';
import type { Logger } from '../../logger.ts';

/**
 * At most one publisher per NATS consumer among all Syncline processes sharing a database (two
 * would interleave versions of a record): a session advisory lock per consumer, all held on one
 * dedicated connection. When that connection fails every lock is gone, and `onLost` tells the
 * supervisor to stop its publishers. With the embedded database there is a single process and
 * nothing to lock.
 */
export class PublisherLeases {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly held = new Set<string>();

  constructor(
    private readonly connectionString: string | null,
    private readonly logger: Logger,
    private readonly onLost: () => void,
  ) {}

  holds(consumerId: string): boolean {
    return this.connectionString === null || this.held.has(consumerId);
  }

  async tryAcquire(consumerId: string): Promise<boolean> {
    if (this.connectionString === null) return true;
    if (this.held.has(consumerId)) return true;
    const client = await this.connection();
    const { rows } = await client.query<{ acquired: boolean }>(
      `SELECT pg_try_advisory_lock(hashtextextended('syncline:nats-consumer:' || $1, 0)) AS acquired`,
      [consumerId],
    );
    if (rows[0]?.acquired) this.held.add(consumerId);
    return this.held.has(consumerId);
  }

  async release(consumerId: string): Promise<void> {
    if (!this.held.delete(consumerId) || !this.client) return;
    await this.client.query(`SELECT pg_advisory_unlock(hashtextextended('syncline:nats-consumer:' || $1, 0))`, [consumerId]).catch(() => undefined);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.held.clear();
    await client?.end().catch(() => undefined);
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.connectionString! });
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.logger.warn({ err: error }, 'nats publisher lock connection lost: publishers stop until they are re-elected');
      this.client = null;
      this.held.clear();
      void client.end().catch(() => undefined);
      this.onLost();
    });
    await client.connect();
    this.client = client;
    return client;
  }
}
