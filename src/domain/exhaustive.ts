import { InvariantError } from '../errors.ts';

/**
 * The last branch of every `decide`: the compiler proves each command type was handled above.
 * Commands are built by our own command handlers, so one of another type at run time is a bug.
 */
export function unknownCommand(command: never): never {
  // Only the type: the command's data may hold sealed secrets, and this message reaches the logs.
  const type = (command as { type?: unknown } | null)?.type;
  throw new InvariantError('unknown_command', `a decider got a command of unknown type ${JSON.stringify(type)}`);
}

/**
 * The last branch of every `evolve`: the compiler proves each event type was handled above. At run
 * time an event this release does not know (appended by a newer release sharing the database while
 * instances are upgraded one by one) leaves the state as it is, so the stream stays readable.
 */
export function ignoreUnknownEvent<State>(_event: never, state: State): State {
  return state;
}
