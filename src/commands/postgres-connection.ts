/**
 * A PostgreSQL consumer's `connection` (docs/DELIVERY.md, "PostgreSQL consumers"): either
 * `{url}` (`postgres://user:password@host:port/database?sslmode=…`) or the fields `{host, port,
 * database, user, password?, ssl}`. Both become the same settings; a password, in the URL or
 * beside it, is taken out to be sealed, and the URL is kept without it.
 */
import { z } from 'zod';
import type { PostgresConnectionSettings, PostgresSslMode } from '../domain/postgres-consumers/events.ts';
import { UnprocessableError, type ErrorDetail } from '../errors.ts';

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const satisfies readonly PostgresSslMode[];
const DEFAULT_PORT = 5432;

/** A PostgreSQL name (database, role): 1 to 63 characters, as the server truncates longer ones. */
const pgName = z.string().min(1).max(63);

export const connectionFields = {
  url: z
    .string()
    .min(1)
    .max(2000)
    .meta({ description: '`postgres://user:password@host:5432/database?sslmode=verify-full`; instead of the other fields (the password may also be given apart)' }),
  host: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^(?:[A-Za-z0-9_.-]+|\[?[0-9A-Fa-f:.]+\]?)$/, 'a host name or IP address, without scheme or port'),
  port: z.number().int().min(1).max(65_535),
  database: pgName,
  user: pgName,
  password: z.string().min(1).max(1000).meta({ description: 'sealed at rest; answered as a hint' }),
  ssl: z.boolean().meta({ description: 'true: TLS with the certificate checked against the host name (`ssl_mode: verify-full`)' }),
  sslMode: z.enum(SSL_MODES).meta({ description: 'as libpq: `disable`, `require` (encrypted, unchecked), `verify-ca`, `verify-full`' }),
};

/** Create: one of the two forms, checked by `connectionOf` (REST and GraphQL get one error shape for both). */
export const connectionInput = z
  .object({
    url: connectionFields.url.optional(),
    host: connectionFields.host.optional(),
    port: connectionFields.port.optional(),
    database: connectionFields.database.optional(),
    user: connectionFields.user.optional(),
    password: connectionFields.password.nullish(),
    ssl: connectionFields.ssl.optional(),
    sslMode: connectionFields.sslMode.optional(),
  })
  .strict()
  .meta({ description: '`{url}`, or `{host, port (5432), database, user, password?, ssl (false)}`' });
export type ConnectionInput = z.infer<typeof connectionInput>;

export interface ParsedConnection {
  connection: PostgresConnectionSettings;
  /** null: none given (a PATCH keeps the stored one, unless `password: null` removed it). */
  password: string | null;
  /** `password: null` was given: remove the stored one. */
  passwordRemoved: boolean;
}

const invalid = (details: ErrorDetail[]) =>
  new UnprocessableError('invalid_connection', details.map((d) => d.message).join('; '), details);

function sslModeOf(input: { ssl?: boolean | undefined; sslMode?: PostgresSslMode | undefined }, problems: ErrorDetail[], fallback: PostgresSslMode): PostgresSslMode {
  if (input.ssl !== undefined && input.sslMode !== undefined && input.ssl !== (input.sslMode !== 'disable')) {
    problems.push({ path: 'connection.ssl', message: `ssl ${input.ssl} contradicts ssl_mode ${input.sslMode}` });
  }
  if (input.sslMode !== undefined) return input.sslMode;
  if (input.ssl !== undefined) return input.ssl ? 'verify-full' : 'disable';
  return fallback;
}

/** `postgres://…` taken apart; problems name `connection.url` and never repeat the URL (it may hold the password). */
function parseUrl(text: string, problems: ErrorDetail[]): { connection: PostgresConnectionSettings; password: string | null } | null {
  const wrong = (message: string) => {
    problems.push({ path: 'connection.url', message });
    return null;
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return wrong('not a URL: postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return wrong('the scheme must be postgres:// or postgresql://');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!connectionFields.host.safeParse(host).success || host === '') return wrong('needs one host name or IP address (several hosts or a socket directory are not supported)');
  if (url.hash) return wrong('a fragment (#…) has no meaning here');
  let database: string;
  let user: string;
  let password: string;
  try {
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return wrong('holds a malformed percent-encoding');
  }
  if (!pgName.safeParse(database).success || database.includes('/')) return wrong('needs the database name as its path (/database), at most 63 characters');
  if (!pgName.safeParse(user).success) return wrong('needs the user name (postgres://user@host/database), at most 63 characters');
  let sslMode: PostgresSslMode = 'disable';
  for (const [key, value] of url.searchParams) {
    if (key !== 'sslmode') return wrong(`parameter ${JSON.stringify(key.slice(0, 40))} is not supported (only sslmode)`);
    if (!(SSL_MODES as readonly string[]).includes(value)) return wrong(`sslmode must be one of ${SSL_MODES.join(', ')}`);
    sslMode = value as PostgresSslMode;
  }
  const shown = new URL(url.toString());
  shown.password = '';
  return {
    connection: { host, port: url.port === '' ? DEFAULT_PORT : Number(url.port), database, user, sslMode, url: shown.toString() },
    password: password === '' ? null : password,
  };
}

/**
 * The connection a create gives: `{url}` or the fields, never both; a password in the URL and
 * beside it is one too many. 422 `invalid_connection` naming the field otherwise.
 */
export function connectionOf(input: ConnectionInput): ParsedConnection {
  const problems: ErrorDetail[] = [];
  const { url, host, port, database, user, password, ssl, sslMode } = input;
  if (url !== undefined) {
    const fields = Object.entries({ host, port, database, user, ssl, sslMode }).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (fields.length > 0) throw invalid([{ path: 'connection', message: `give url or the fields, not both (${fields.join(', ')} beside url)` }]);
    const parsed = parseUrl(url, problems);
    if (!parsed) throw invalid(problems);
    if (parsed.password !== null && password != null) throw invalid([{ path: 'connection.password', message: 'the url holds a password already' }]);
    return { connection: parsed.connection, password: parsed.password ?? password ?? null, passwordRemoved: password === null };
  }
  for (const [field, value] of Object.entries({ host, database, user })) {
    if (value === undefined) problems.push({ path: `connection.${field}`, message: `${field} is required (or give url)` });
  }
  const mode = sslModeOf({ ssl, sslMode }, problems, 'disable');
  if (problems.length > 0) throw invalid(problems);
  return {
    connection: { host: host!.replace(/^\[|\]$/g, ''), port: port ?? DEFAULT_PORT, database: database!, user: user!, sslMode: mode, url: null },
    password: password ?? null,
    passwordRemoved: password === null,
  };
}

/**
 * A PATCH's `connection` over the stored one: a `url` replaces it all; fields replace those given
 * and keep the others (the stored URL is then dropped: the fields describe the connection).
 */
export function patchedConnectionOf(stored: PostgresConnectionSettings, patch: ConnectionInput): ParsedConnection {
  if (patch.url !== undefined) return connectionOf(patch);
  const problems: ErrorDetail[] = [];
  const mode = sslModeOf(patch, problems, stored.sslMode);
  if (problems.length > 0) throw invalid(problems);
  const changed = [patch.host, patch.port, patch.database, patch.user, patch.ssl, patch.sslMode].some((v) => v !== undefined);
  return {
    connection: {
      host: patch.host?.replace(/^\[|\]$/g, '') ?? stored.host,
      port: patch.port ?? stored.port,
      database: patch.database ?? stored.database,
      user: patch.user ?? stored.user,
      sslMode: mode,
      url: changed ? null : stored.url,
    },
    password: patch.password ?? null,
    passwordRemoved: patch.password === null,
  };
}
