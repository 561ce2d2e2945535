import type { Event } from '@event-driven-io/emmett';
import type pg from 'pg';

/**
 * A read model built from events. `apply` runs inside the appending transaction (inline: the
 * event store and raw appends get the list from src/app.ts, src/db/inline-projection.ts), and
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
