import type { Event } from '@event-driven-io/emmett';
import { postgreSQLProjection, type PostgreSQLProjectionDefinition } from '@event-driven-io/emmett-postgresql';
import type pg from 'pg';

/**
 * A read model built from events. `apply` runs inside the appending transaction (inline), and
 * again over the whole log when the read model is rebuilt, so it must be deterministic and
 * idempotent on replay into empty tables.
 */
export interface ReadModelProjection<E extends Event = Event> {
  name: string;
  /** Tables this projection owns; emptied before a rebuild. */
  tables: string[];
  eventTypes: readonly E['type'][];
  apply(events: readonly E[], db: pg.ClientBase): Promise<void>;
}

export function defineProjection<E extends Event>(projection: ReadModelProjection<E>): ReadModelProjection<E> {
  return projection;
}

export function toInlineProjection<E extends Event>(projection: ReadModelProjection<E>): PostgreSQLProjectionDefinition<E> {
  return postgreSQLProjection<E>({
    name: projection.name,
    canHandle: [...projection.eventTypes],
    handle: (events, context) => projection.apply(events as unknown as E[], context.connection.client),
  });
}
