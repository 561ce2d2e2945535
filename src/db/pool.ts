import pg from 'pg';
import type { Logger } from '../logger.ts';

export interface PoolOptions {
  connectionString: string;
  max: number;
  /** Names the pool in logs. */
  name: string;
  logger: Logger;
  Client?: typeof pg.Client;
}

/**
 * A pg pool whose connections never crash the process when PostgreSQL drops them (restart,
 * failover, `pg_terminate_backend`): pg emits `error` on a checked-out client, and an `error`
 * event without a listener is an uncaught exception. The query in flight still fails and its
 * caller retries; idle connections are replaced on next use.
 */
export function createPool({ connectionString, max, name, logger, Client }: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, ...(Client ? { Client } : {}) });
  pool.on('error', (error) => logger.warn({ err: error, pool: name }, 'idle database connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn({ err: error, pool: name }, 'database connection failed'));
  });
  return pool;
}
