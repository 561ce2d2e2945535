import type pg from 'pg';
import type { Logger } from '../logger.ts';

/**
 * Rows written to a table, since its last ANALYZE here, that trigger the next one, at least;
 * after that, as many as this process had written to it by the last ANALYZE (the estimates are
 * then never more than 2× behind, and a load of n rows costs log2(n / 20,000) ANALYZEs, each of
 * which samples up to 30,000 rows: ~0.4 s of PostgreSQL CPU on a loaded table).
 */
const ROWS_BEFORE_ANALYZE = 20_000;

/**
 * What one ANALYZE covers per table written: a version written to `records` is also a row of
 * `record_versions` (migration 0059), which /next of change events scans the same way (without
 * statistics it sorted every version past the cursor per call: docs/BENCHMARKS.md).
 */
const ANALYZED_TOGETHER = { records: 'records, record_versions' } as const;

/**
 * Refreshes the planner's statistics of a table (and those written with it) right after bulk writes (a backfill), instead
 * of waiting up to a minute for autovacuum. With the row estimates of a nearly empty table the
 * planner takes the wrong index for the consumer queries of a freshly loaded stream and reads
 * every record of the sync per call (figures in docs/BENCHMARKS.md).
 * One ANALYZE at a time per table, in the background.
 */
export class TableStatistics {
  private readonly written = new Map<string, number>();
  /** Rows written by this process up to the last ANALYZE of each table. */
  private readonly analyzedAt = new Map<string, number>();
  private readonly running = new Set<string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  noteWrites(table: keyof typeof ANALYZED_TOGETHER, rows: number): void {
    const total = (this.written.get(table) ?? 0) + rows;
    this.written.set(table, total);
    const before = this.analyzedAt.get(table) ?? 0;
    if (total < Math.max(ROWS_BEFORE_ANALYZE, before) || this.running.has(table)) return;
    this.written.set(table, 0);
    this.analyzedAt.set(table, before + total);
    this.running.add(table);
    const started = performance.now();
    this.pool
      .query(`ANALYZE ${ANALYZED_TOGETHER[table]}`)
      .then(() => this.logger.debug({ table, ms: Math.round(performance.now() - started) }, 'table statistics refreshed'))
      .catch((error: unknown) => this.logger.warn({ err: error, table }, 'could not refresh table statistics'))
      .finally(() => this.running.delete(table));
  }
}
