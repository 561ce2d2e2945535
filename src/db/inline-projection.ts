import type { Event } from '@event-driven-io/emmett';
import { postgreSQLProjection, type PostgreSQLProjectionDefinition } from '@event-driven-io/emmett-postgresql';
import type pg from 'pg';

/**
 * A projection run inline, in the appending transaction, by the event store and by raw appends
 * (raw-append.ts). The read models (src/projections/index.ts) are handed in by whoever builds
 * the store (src/app.ts, tests): src/db knows no read model.
 */
export interface InlineProjection {
  name: string;
  eventTypes: readonly string[];
  apply(events: readonly Event[], db: pg.ClientBase): Promise<void>;
}

/** The projection as Emmett's PostgreSQL event store runs it inline. */
export function toEmmettProjection(projection: InlineProjection): PostgreSQLProjectionDefinition<Event> {
  return postgreSQLProjection<Event>({
    name: projection.name,
    canHandle: [...projection.eventTypes],
    handle: (events, context) => projection.apply(events as unknown as Event[], context.connection.client),
  });
}
