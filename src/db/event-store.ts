import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { inlineProjections } from '@event-driven-io/emmett';
import { readModelProjections } from '../projections/index.ts';
import { toInlineProjection } from '../projections/read-model-projection.ts';

/** Emmett on PostgreSQL; every read model is projected inline, in the appending transaction. */
export function createEventStore(connectionString: string): PostgresEventStore {
  return getPostgreSQLEventStore(connectionString, {
    projections: inlineProjections(readModelProjections.map(toInlineProjection)),
    schema: { autoMigration: 'None' },
  });
}

export type { PostgresEventStore };
