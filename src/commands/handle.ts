import {
  DeciderCommandHandler,
  isExpectedVersionConflictError,
  type Command,
  type Decider,
  type Event,
} from '@event-driven-io/emmett';
import type { PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import type { AppContext } from '../app-context.ts';
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

/**
 * A push consumer kind's command handler (webhook, PostgreSQL, NATS) that, once a command changed
 * a consumer, tells the sink supervisors of every process to reconcile now (the live bus's
 * `sink-consumers`) instead of at their next round: delivery starts, restarts or stops at once.
 */
export function sinkConsumerCommandHandler<State, C extends Command, E extends Event>(prefix: string, decider: Decider<State, C, E>) {
  const handle = commandHandler(prefix, decider);
  return async (ctx: Pick<AppContext, 'eventStore' | 'bus'>, id: string, command: C): Promise<E[]> => {
    const events = await handle(ctx.eventStore, id, command);
    if (events.length > 0) ctx.bus.publish({ channel: 'sink-consumers' });
    return events;
  };
}
