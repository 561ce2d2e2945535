import type pg from 'pg';

const preparing = new WeakSet<pg.Pool>();

/**
 * Lets `statement` name its queries on this pool's connections. Only for a real PostgreSQL:
 * embedded PGlite serves every connection from one session, where a second connection preparing
 * the same name fails ("prepared statement already exists").
 */
export function allowPreparedStatements(pool: pg.Pool): void {
  preparing.add(pool);
}

/**
 * A query for a hot path (every /next and /ack): named where allowed, so that each connection
 * parses it once and PostgreSQL can keep its plan, instead of parsing and planning it on every
 * call (~a fifth of PostgreSQL's CPU per message in `npm run bench`, consume, before).
 */
export function statement(pool: pg.Pool, name: string, text: string, values: unknown[]): pg.QueryConfig {
  return preparing.has(pool) ? { name, text, values } : { text, values };
}
