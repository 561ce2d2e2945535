import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import type pg from 'pg';
import { inlineProjections } from '@event-driven-io/emmett';
import { readModelProjections } from '../projections/index.ts';
import { toInlineProjection } from '../projections/read-model-projection.ts';

/**
 * Emmett on PostgreSQL over `pool` (its own, so a command holding an app connection can always
 * get one to append); every read model is projected inline, in the appending transaction.
 */
export function createEventStore(connectionString: string, pool: pg.Pool): PostgresEventStore {
  const store = getPostgreSQLEventStore(connectionString, {
    connectionOptions: { pool },
    projections: inlineProjections(readModelProjections.map(toInlineProjection)),
    schema: { autoMigration: 'None' },
  });
  pools.set(store, pool);
  return store;
}

const pools = new WeakMap<PostgresEventStore, pg.Pool>();

/** The pool an event store made here appends through, for raw appends (raw-append.ts) beside it. */
export function eventStorePool(store: PostgresEventStore): pg.Pool | undefined {
  return pools.get(store);
}

export type { PostgresEventStore };
