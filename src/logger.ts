import { pino, type DestinationStream, type Logger } from 'pino';
import { carriedLogContext, carryLogContext, type LogContext } from './carried-context.ts';

export type { LogContext };

/** Any field with one of these names is replaced before a line is written. */
const secretFieldNames = [
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'secret',
  'client_secret',
  'clientSecret',
  'password',
  'token',
  'authorization',
  'nkey_seed',
  'jwt',
];

/**
 * Runs `work` with `fields` added to every line it (and whatever it starts) logs, beside the
 * fields of the context it runs in. `fresh`: not beside them (a sync run started while a request
 * is handled is not that request's work).
 */
export function withLogContext<T>(fields: LogContext, work: () => T, options: { fresh?: boolean } = {}): T {
  return carryLogContext(options.fresh ? { ...fields } : { ...carriedLogContext(), ...fields }, work);
}

/** Adds ids learnt while the work runs (the account, once a request is authenticated) to its context. */
export function addToLogContext(fields: LogContext): void {
  const store = carriedLogContext();
  if (store) Object.assign(store, fields);
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = secretFieldNames.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);
  return pino(
    {
      level,
      redact: { paths, censor: '[redacted]' },
      base: { service: 'syncline' },
      // A copy: pino merges the line's own fields into what this returns.
      mixin: () => ({ ...carriedLogContext() }),
    },
    destination,
  );
}

export type { Logger };
