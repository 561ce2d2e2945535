import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { RecordTraceNotes, traceparentsAt } from '../../src/db/record-traces.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const traceparent = (n: number) => `00-${String(n).padStart(32, '0')}-${String(n).padStart(16, '0')}-01`;

/** Trace notes are written behind the writes they describe (issue 26: no round trip per page while tracing is on). */
describe('record trace notes', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await migrate(pool);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('answers at once in this process, and writes every note (the last note of a position winning) by flush', async () => {
    const notes = new RecordTraceNotes(pool, createLogger('silent'));
    const stream = randomUUID();
    for (let page = 1; page <= 50; page++) notes.note(stream, BigInt(page * 100), 100, traceparent(page));
    // Written again at the same last position (a retried write): the later span holds it.
    notes.note(stream, 5_000n, 100, traceparent(99));
    const known = await traceparentsAt(pool, stream, ['1', '150', '4999', '5000']);
    expect(known).toEqual([traceparent(1), traceparent(2), traceparent(99), traceparent(99)]);

    await notes.flush();
    const { rows } = await pool.query<{ first_idx: string; last_idx: string; traceparent: string }>(
      'SELECT first_idx, last_idx, traceparent FROM record_traces WHERE stream_id = $1 ORDER BY last_idx',
      [stream],
    );
    expect(rows).toHaveLength(50);
    expect(rows[0]).toEqual({ first_idx: '0', last_idx: '100', traceparent: traceparent(1) });
    expect(rows[49]).toEqual({ first_idx: '4900', last_idx: '5000', traceparent: traceparent(99) });
  });

  it('logs a failed write and goes on with the next notes', async () => {
    const warnings: unknown[] = [];
    const logger = createLogger('silent');
    logger.warn = ((...args: unknown[]) => void warnings.push(args)) as typeof logger.warn;
    const notes = new RecordTraceNotes(pool, logger);
    const stream = randomUUID();
    notes.note('not-a-uuid', 100n, 100, traceparent(1));
    await notes.flush();
    expect(warnings).toHaveLength(1);
    notes.note(stream, 100n, 100, traceparent(2));
    await notes.flush();
    const { rows } = await pool.query('SELECT traceparent FROM record_traces WHERE stream_id = $1', [stream]);
    expect(rows).toEqual([{ traceparent: traceparent(2) }]);
  });
});
