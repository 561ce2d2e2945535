import type pg from 'pg';
import { beginCompressed, hasLz4Compression } from './toast-compression.ts';
import { inTransaction } from './raw-append.ts';

/** How a single-statement write takes its stream's lock (StreamWriteLock.statement). */
export interface StatementLock {
  /** The advisory lock's key, for `pg_advisory_xact_lock(hashtextextended(key, 0))`; null: none needed. */
  key: string | null;
  /** The server has lz4 TOAST compression. */
  lz4: boolean;
}

/** A sync lease to check in a write's transaction (the lease row, share-locked until commit). */
export interface Fence {
  syncId: string;
  owner: string;
  token: string;
}

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

  /**
   * `work` on a pooled connection, in the stream's in-process chain, with no transaction around
   * it: for a single statement that is its own transaction and takes the stream's lock itself
   * as its first step (`lock.key`: the same advisory lock as `transaction`'s, null where the
   * in-process chain is the lock) and may switch its TOAST compression to lz4 (`lock.lz4`).
   * `fence` is null here; a lease-guarded context passes its sync lease for the statement to check.
   */
  async statement<T>(streamId: string, work: (db: pg.PoolClient, lock: StatementLock, fence: Fence | null) => Promise<T>): Promise<T> {
    const previous = this.tails.get(streamId) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(async () => {
      const lock: StatementLock = this.crossProcess ? { key: this.lockKey(streamId), lz4: await hasLz4Compression(this.pool) } : { key: null, lz4: false };
      const client = await this.pool.connect();
      try {
        return await work(client, lock, null);
      } finally {
        client.release();
      }
    });
    this.tails.set(streamId, current);
    try {
      return await current;
    } finally {
      if (this.tails.get(streamId) === current) this.tails.delete(streamId);
    }
  }

  private lockKey(streamId: string): string {
    if (!UUID.test(streamId)) throw new Error(`stream id ${JSON.stringify(streamId)} is not a uuid`);
    return `syncline:records:${streamId.toLowerCase()}`;
  }

  private async transactionLocked<T>(streamId: string, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    if (!this.crossProcess) return inTransaction(this.pool, work);
    // Inlined into a simple query (no parameters) so that BEGIN and the lock are one round trip.
    const key = this.lockKey(streamId);
    const begin = `${await beginCompressed(this.pool)}; SELECT pg_advisory_xact_lock(hashtextextended('${key}', 0))`;
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
