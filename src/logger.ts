import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

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

/** The ids a log line concerns, carried by the work it is written from (logContext). */
export interface LogContext {
  requestId?: string;
  accountId?: string;
  syncId?: string;
  collectionId?: string;
}

const logContext = new AsyncLocalStorage<LogContext>();

/**
 * Runs `work` with `fields` added to every line it (and whatever it starts) logs, beside the
 * fields of the context it runs in. `fresh`: not beside them (a sync run started while a request
 * is handled is not that request's work).
 */
export function withLogContext<T>(fields: LogContext, work: () => T, options: { fresh?: boolean } = {}): T {
  return logContext.run(options.fresh ? { ...fields } : { ...logContext.getStore(), ...fields }, work);
}

/** Adds ids learnt while the work runs (the account, once a request is authenticated) to its context. */
export function addToLogContext(fields: LogContext): void {
  const store = logContext.getStore();
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
      mixin: () => ({ ...logContext.getStore() }),
    },
    destination,
  );
}

export type { Logger };
