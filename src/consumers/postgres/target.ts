import type pg from 'pg';
import type { PostgresConnectionSettings, PostgresSslMode, PostgresTableName } from '../../domain/postgres-consumers/events.ts';
import type { EgressPolicy } from '../../net/egress-policy.ts';
import { egressSocket } from '../../net/egress-socket.ts';
import { tableText } from './table-name.ts';

/** Where a PostgreSQL consumer writes, its password in clear: for the writer and the creation check only, never for an answer or a log. */
export interface PostgresTarget {
  connection: Omit<PostgresConnectionSettings, 'url'>;
  password: string | null;
  table: PostgresTableName;
}

/** How long a connection attempt may take (creation check and writer). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** A statement the target has not finished in this time is cancelled by the target itself. */
const STATEMENT_TIMEOUT_MS = 60_000;

/** `postgres://db.example.com:5432/analytics, table public.syncline_records`: what messages name (never the password). */
export function targetLabel(target: Pick<PostgresTarget, 'connection' | 'table'>): string {
  const { host, port, database } = target.connection;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${shownHost}:${port}/${database}, table ${tableText(target.table)}`;
}

function sslOptions(mode: PostgresSslMode): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain is checked, the host name is not (libpq's verify-ca).
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      // pg sets servername to the host given, so the certificate is checked against that name.
      return { rejectUnauthorized: true };
  }
}

/**
 * A `pg` client for the target whose socket goes through the egress policy: the address is
 * checked when the connection is made, not only when the consumer was created.
 */
export function targetClient(policy: EgressPolicy, target: PostgresTarget, applicationName: string): pg.ClientConfig {
  const { host, port, database, user, sslMode } = target.connection;
  return {
    host: host.replace(/^\[|\]$/g, ''),
    port,
    database,
    user,
    // A function, never a missing value: pg would otherwise send this server's own PGPASSWORD or ~/.pgpass entry to the tenant's target.
    password: () => target.password ?? '',
    ssl: sslOptions(sslMode),
    stream: () => egressSocket(policy),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    // A network that swallows packets: the client gives up a little after the target would have.
    query_timeout: STATEMENT_TIMEOUT_MS + 10_000,
    keepAlive: true,
    application_name: applicationName.slice(0, 63),
  };
}
