import {
  DeciderCommandHandler,
  isExpectedVersionConflictError,
  type Command,
  type Decider,
  type Event,
} from '@event-driven-io/emmett';
import type { PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { ConflictError } from '../errors.ts';

/**
 * Binds a pure decider to its event-store stream `<prefix>-<id>`: load, decide, append (with the
 * inline projections in the same transaction). Returns the new events.
 */
export function commandHandler<State, C extends Command, E extends Event>(prefix: string, decider: Decider<State, C, E>) {
  const handle = DeciderCommandHandler<State, C, E>({
    ...decider,
    mapToStreamId: (id) => `${prefix}-${id}`,
    // A worker's checkpoint and a user's command may race on one stream: decide again on the new state.
    retry: { onVersionConflict: 5 },
  });
  return async (eventStore: PostgresEventStore, id: string, command: C): Promise<E[]> => {
    try {
      const result = await handle(eventStore, id, command);
      return result.newEvents;
    } catch (error) {
      if (isExpectedVersionConflictError(error)) {
        throw new ConflictError('concurrent_modification', `${prefix} ${id} was changed concurrently, retry`);
      }
      throw error;
    }
  };
}
