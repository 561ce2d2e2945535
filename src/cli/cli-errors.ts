/**
 * How a command ends when it does not succeed, as users of command-line tools expect: wrong
 * arguments exit 2 with the usage on stderr; a failure exits 1 with one line saying why.
 */

/** The arguments are wrong: exit 2, the message and then `usage` on stderr. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage of the command that was called; the dispatcher fills in the command's own when absent. */
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command could not do its job: exit 1 with this message as its one line on stderr. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** One line for any thrown value: its message, else its code or its first inner error's (a refused connection to every address of a name throws an AggregateError with neither). */
export function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error instanceof AggregateError ? error.errors.find((e): e is Error => e instanceof Error) : undefined;
  const code = 'code' in error && error.code !== undefined ? String(error.code) : undefined;
  const text = error.message || (inner ? oneLine(inner) : undefined) || code || error.name;
  return text.split('\n')[0]!.trim();
}
