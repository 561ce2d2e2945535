import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-errors.ts';

/** `-h` / `--help`, which every command accepts. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Node's parse errors (unknown option, missing value…) are usage errors. */
function isParseArgsError(error: unknown): error is Error {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

/** `util.parseArgs`, strict, with its errors turned into usage errors that carry `usage`. */
export function parseCommandArgs<const T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T & { strict: true }>> {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (error) {
    if (isParseArgsError(error)) throw new UsageError(error.message, usage);
    throw error;
  }
}

/** At most `max` positional arguments, or a usage error naming the first extra one. */
export function noMoreThan(positionals: string[], max: number, usage: string): void {
  const extra = positionals[max];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, usage);
}
