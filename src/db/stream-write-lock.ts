import type pg from 'pg';
import { beginCompressed } from './toast-compression.ts';
import { inTransaction } from './raw-append.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Serializes record appends per stream, around the whole append transaction, so that the event
 * log's global order and the stream's `updated_idx` order agree (a rebuild then reproduces the
 * same positions). In-process: a promise chain per stream. Across processes on PostgreSQL: a
 * session advisory lock. PGlite has a single backend session, where advisory locks would not
 * exclude anybody; there the in-process chain is the lock.
 */
export class StreamWriteLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly crossProcess: boolean,
  ) {}

  async run<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(streamId) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.runLocked(streamId, work));
    this.tails.set(streamId, current);
    try {
      return await current;
    } finally {
      if (this.tails.get(streamId) === current) this.tails.delete(streamId);
    }
  }

  /**
   * `work` in one transaction that holds the stream's lock from its start to its commit: the
   * in-process chain, plus (across processes) a transaction-level advisory lock taken by the
   * same round trip as BEGIN. The transaction also compresses what it TOASTs (an event holds a
   * whole page) with lz4 where the server has it: half pglz's cost for a page's event.
   */
  async transaction<T>(streamId: string, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const previous = this.tails.get(streamId) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.transactionLocked(streamId, work));
    this.tails.set(streamId, current);
    try {
      return await current;
    } finally {
      if (this.tails.get(streamId) === current) this.tails.delete(streamId);
    }
  }

  private async transactionLocked<T>(streamId: string, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    if (!this.crossProcess) return inTransaction(this.pool, work);
    // Inlined into a simple query (no parameters) so that BEGIN and the lock are one round trip.
    if (!UUID.test(streamId)) throw new Error(`stream id ${JSON.stringify(streamId)} is not a uuid`);
    const begin = `${await beginCompressed(this.pool)}; SELECT pg_advisory_xact_lock(hashtextextended('syncline:records:${streamId.toLowerCase()}', 0))`;
    return inTransaction(this.pool, work, begin);
  }

  private async runLocked<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    if (!this.crossProcess) return work();
    const client = await this.pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(hashtextextended('syncline:records:' || $1, 0))`, [streamId]);
      try {
        return await work();
      } finally {
        await client.query(`SELECT pg_advisory_unlock(hashtextextended('syncline:records:' || $1, 0))`, [streamId]);
      }
    } finally {
      client.release();
    }
  }
}
