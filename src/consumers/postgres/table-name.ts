import type { PostgresTableName } from '../../domain/postgres-consumers/events.ts';

/** A plain SQL identifier: no quoting needed to write it, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1). */
export const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const DEFAULT_TABLE = 'public.syncline_records';
/** Change events (message_kind `event`) go to a table of their own shape by default. */
export const DEFAULT_EVENT_TABLE = 'public.syncline_events';

/**
 * `schema.table` or `table` (schema `public`), each part a plain identifier, folded to lower case
 * as PostgreSQL folds unquoted names (`Analytics.Records` is `analytics.records`, as psql would
 * read it). Null for anything else: quotes, spaces, dots inside a part, SQL.
 */
export function parseTableName(text: string): PostgresTableName | null {
  const parts = text.split('.');
  if (parts.length > 2 || !parts.every((part) => SQL_IDENTIFIER.test(part))) return null;
  const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['public', parts[0]!];
  return { schema: schema.toLowerCase(), name: name.toLowerCase() };
}

/** `"name"`, with any `"` doubled: the identifier exactly, whatever it holds (names are checked before, quoted anyway). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export const qualifiedTable = (table: PostgresTableName): string => `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;

/** As users write it: `public.syncline_records`. */
export const tableText = (table: PostgresTableName): string => `${table.schema}.${table.name}`;
