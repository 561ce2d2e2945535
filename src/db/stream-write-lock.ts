import type pg from 'pg';

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
