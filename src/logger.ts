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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = secretFieldNames.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);
  return pino({ level, redact: { paths, censor: '[redacted]' }, base: { service: 'syncline' } }, destination);
}

export type { Logger };
