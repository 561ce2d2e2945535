import pg from 'pg';
import type { Logger } from '../../logger.ts';

const lockKey = (kind: string, consumerId: string) => `syncline:${kind}-consumer:${consumerId}`;

/**
 * At most one runner per push consumer among all Syncline processes sharing a database (two
 * would interleave versions of a record): a session advisory lock per consumer, all held on one
 * dedicated connection. When that connection fails every lock is gone, and `onLost` tells the
 * supervisor to stop its runners. With the embedded database there is a single process and
 * nothing to lock.
 *
 * The lock is keyed by kind and consumer id (`syncline:<kind>-consumer:<id>`: for NATS the key
 * its publisher took before the sink runner, so an older process and a newer one never both run
 * one consumer).
 */
export class SinkLeases {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly held = new Set<string>();

  constructor(
    private readonly connectionString: string | null,
    private readonly logger: Logger,
    private readonly onLost: () => void,
  ) {}

  holds(kind: string, consumerId: string): boolean {
    return this.connectionString === null || this.held.has(lockKey(kind, consumerId));
  }

  async tryAcquire(kind: string, consumerId: string): Promise<boolean> {
    const key = lockKey(kind, consumerId);
    if (this.connectionString === null) return true;
    if (this.held.has(key)) return true;
    const client = await this.connection();
    const { rows } = await client.query<{ acquired: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS acquired`, [key]);
    if (rows[0]?.acquired) this.held.add(key);
    return this.held.has(key);
  }

  async release(kind: string, consumerId: string): Promise<void> {
    const key = lockKey(kind, consumerId);
    if (!this.held.delete(key) || !this.client) return;
    await this.client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]).catch(() => undefined);
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
      this.logger.warn({ err: error }, 'sink runner lock connection lost: runners stop until they are re-elected');
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
