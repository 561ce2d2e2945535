import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { inlineProjections } from '@event-driven-io/emmett';
import { toEmmettProjection, type InlineProjection } from './inline-projection.ts';

/**
 * Emmett on PostgreSQL over `pool` (its own, so a command holding an app connection can always
 * get one to append); `projections` (every read model: src/projections/index.ts) run inline, in
 * the appending transaction.
 */
export function createEventStore(connectionString: string, pool: pg.Pool, projections: readonly InlineProjection[]): PostgresEventStore {
  const store = getPostgreSQLEventStore(connectionString, {
    connectionOptions: { pool },
    projections: inlineProjections(projections.map(toEmmettProjection)),
    schema: { autoMigration: 'None' },
  });
  pools.set(store, pool);
  plainJsonParsing();
  return store;
}

/**
 * Emmett's driver (dumbo) sets pg's global json/jsonb parsers, once, to JSON.parse with a reviver
 * that turns strings of 16+ digits and unsafe integers into BigInt: a record whose provider data
 * held "12345678901234567890" (a phone number, an external id) came back from the read model with
 * a BigInt in it — its type changed, and every JSON answer or NATS message carrying it failed
 * ("Do not know how to serialize a BigInt"). It also cost a callback per JSON value on every read.
 * The event store is created first; its setting is not made again (dumbo checks a flag), so
 * plain JSON.parse stays. int8 stays BigInt (src/db/prisma.ts copes with it).
 */
function plainJsonParsing(): void {
  pg.types.setTypeParser(pg.types.builtins.JSON, JSON.parse);
  pg.types.setTypeParser(pg.types.builtins.JSONB, JSON.parse);
}

const pools = new WeakMap<PostgresEventStore, pg.Pool>();

/** The pool an event store made here appends through, for raw appends (raw-append.ts) beside it. */
export function eventStorePool(store: PostgresEventStore): pg.Pool | undefined {
  return pools.get(store);
}

export type { PostgresEventStore };
