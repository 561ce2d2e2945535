import type pg from 'pg';
import type { Logger } from '../logger.ts';

/** Rows written to a table, since its last ANALYZE here, that trigger the next one. */
const ROWS_BEFORE_ANALYZE = 20_000;

/**
 * Refreshes the planner's statistics of a table right after bulk writes (a backfill), instead
 * of waiting up to a minute for autovacuum. With the row estimates of a nearly empty table the
 * planner takes the wrong index for the consumer queries of a freshly loaded stream and reads
 * every record of the sync per call (measured: 2.6k → 5.6k msgs/s over 60,000 records).
 * One ANALYZE at a time per table, in the background.
 */
export class TableStatistics {
  private readonly written = new Map<string, number>();
  private readonly running = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  noteWrites(table: 'records', rows: number): void {
    const total = (this.written.get(table) ?? 0) + rows;
    this.written.set(table, total);
    if (total < ROWS_BEFORE_ANALYZE || this.running.has(table)) return;
    this.written.set(table, 0);
    this.running.add(table);
    const started = performance.now();
    this.pool
      .query(`ANALYZE ${table}`)
      .then(() => this.logger.debug({ table, ms: Math.round(performance.now() - started) }, 'table statistics refreshed'))
      .catch((error: unknown) => this.logger.warn({ err: error, table }, 'could not refresh table statistics'))
      .finally(() => this.running.delete(table));
  }
}
