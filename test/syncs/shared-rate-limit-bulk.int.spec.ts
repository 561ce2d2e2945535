import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import { SharedRateLimiter } from '../../src/sync/http/shared-rate-limiter.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Without a concurrency limit the shared limiter takes several slots per database call
 * (shared-rate-limiter.ts). Two instances with 3 workers each, 30 requests per second allowed
 * (3 slots per take): no window of one second ever sees more than 30 requests start, and the
 * slots of most requests were taken by another request's call.
 */
describe('shared rate limit, slots taken several at a time', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    // createPool: its connections' errors are logged, so the stamps the limiters still flush after
    // the test cannot crash the run when the database is dropped under them.
    pool = createPool({ connectionString: database.url, max: 8, name: 'test', logger: createLogger('silent') });
    await migrate(pool);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('never lets more than allowed_requests start in any window, across instances', async () => {
    const syncId = randomUUID();
    const limit = { allowedRequests: 30, intervalSeconds: 1, maxConcurrentRequests: 0 };
    const logger = createLogger('silent');
    const instances = ['a', 'b'].map((name) => `host:${name}-${Math.floor(Math.random() * 1e6)}`);
    for (const instance of instances) {
      await pool.query(
        `INSERT INTO syncline_instances (instance_id, boot_id, hostname, pid, runs_syncs, expires_at)
         VALUES ($1, $2, 'host', 1, true, clock_timestamp() + interval '1 hour')`,
        [instance, randomUUID()],
      );
    }
    // Calls that took slots (calls while the window is full take none and are retried).
    let takes = 0;
    const counting = {
      query: async (...args: Parameters<pg.Pool['query']>) => {
        const result = await (pool.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args);
        if (String(args[0]).includes('syncline_take_request_slots') && result.rows[0]?.slot_ids) takes++;
        return result;
      },
    } as unknown as pg.Pool;
    const limiters = instances.map((instanceId) => new SharedRateLimiter(limit, { pool: counting, instanceId, syncId, logger }));
    const starts: number[] = [];
    const until = performance.now() + 2_600;
    await Promise.all(
      limiters.flatMap((limiter) =>
        [0, 1, 2].map(async () => {
          while (performance.now() < until) {
            const release = await limiter.acquire();
            starts.push(performance.now());
            await sleep(5 + Math.random() * 20);
            release();
          }
        }),
      ),
    );
    starts.sort((x, y) => x - y);
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((t) => t >= starts[i]! && t < starts[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(30);
    }
    // Two full windows and part of a third: the limit is used, not just respected.
    expect(starts.length).toBeGreaterThanOrEqual(60);
    expect(takes).toBeLessThan(starts.length * 0.6);
  });
});
