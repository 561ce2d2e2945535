import type pg from 'pg';
import type { MessageKind } from '../../domain/change-events.ts';
import type { PostgresDeletes, PostgresTableName } from '../../domain/postgres-consumers/events.ts';
import { qualifiedTable, tableText } from './table-name.ts';

/** The record shape's columns (DESIGN §2, docs/DELIVERY.md), as the writer writes them. */
export const RECORD_COLUMNS = [
  { name: 'sync_id', type: 'text' },
  { name: 'collection_id', type: 'text' },
  { name: 'upstream_id', type: 'text' },
  { name: 'updated_idx', type: 'bigint' },
  { name: 'upstream_created_at', type: 'timestamptz' },
  { name: 'upstream_updated_at', type: 'timestamptz' },
  { name: 'deleted', type: 'boolean' },
  { name: 'data', type: 'jsonb' },
] as const;

export const KEY_COLUMNS = ['sync_id', 'collection_id', 'upstream_id'] as const;

/**
 * A change event's columns (docs/DELIVERY.md, "Change events" → PostgreSQL): the version's record
 * columns, its action, the previous values of the fields it changed, and when Syncline recorded it.
 */
export const EVENT_COLUMNS = [
  ...RECORD_COLUMNS,
  { name: 'action', type: 'text' },
  { name: 'changes', type: 'jsonb' },
  { name: 'occurred_at', type: 'timestamptz' },
] as const;

/** One row per version: a resend inserts nothing twice (ON CONFLICT DO NOTHING). */
export const EVENT_KEY_COLUMNS = ['sync_id', 'collection_id', 'upstream_id', 'updated_idx'] as const;

type ColumnName = (typeof EVENT_COLUMNS)[number]['name'];

/** Types an existing table's column may have (as `regtype` names them) so that the writer's values go in unchanged. */
const FITTING_TYPES: Record<ColumnName, string[]> = {
  sync_id: ['text', 'character varying'],
  collection_id: ['text', 'character varying'],
  upstream_id: ['text', 'character varying'],
  updated_idx: ['bigint', 'numeric'],
  upstream_created_at: ['timestamp with time zone'],
  upstream_updated_at: ['timestamp with time zone'],
  deleted: ['boolean'],
  data: ['jsonb'],
  action: ['text', 'character varying'],
  changes: ['jsonb'],
  occurred_at: ['timestamp with time zone'],
};

/** What a consumer of `kind` writes: its columns and the unique key its statement's ON CONFLICT names. */
export function tableShapeOf(kind: MessageKind): { columns: readonly { name: ColumnName; type: string }[]; key: readonly string[] } {
  return kind === 'event' ? { columns: EVENT_COLUMNS, key: EVENT_KEY_COLUMNS } : { columns: RECORD_COLUMNS, key: KEY_COLUMNS };
}

/** `create_table: true` makes this table when it is missing: one row per record, or (change events) one per version. */
export function createTableStatement(table: PostgresTableName, kind: MessageKind = 'record'): string {
  if (kind === 'event') {
    return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(table)} (
  sync_id text NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  updated_idx bigint NOT NULL,
  action text NOT NULL,
  changes jsonb,
  upstream_created_at timestamptz,
  upstream_updated_at timestamptz,
  deleted boolean NOT NULL DEFAULT false,
  data jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  inserted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sync_id, collection_id, upstream_id, updated_idx)
)`;
  }
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable(table)} (
  sync_id text NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  updated_idx bigint NOT NULL,
  upstream_created_at timestamptz,
  upstream_updated_at timestamptz,
  deleted boolean NOT NULL DEFAULT false,
  data jsonb NOT NULL,
  inserted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sync_id, collection_id, upstream_id)
)`;
}

interface ColumnRow {
  name: string;
  type: string;
  not_null: boolean;
  has_default: boolean;
  generated: boolean;
}

interface TableRow {
  kind: string;
  columns: ColumnRow[];
  unique_keys: string[][];
  can_use_schema: boolean;
  can_select: boolean;
  can_insert: boolean;
  can_update: boolean;
  can_delete: boolean;
}

/** What is wrong with a target table, for the 422 at creation; messages say it of the table, the caller names the target. */
export type TableProblem =
  | { code: 'table_not_found'; message: string }
  | { code: 'table_mismatch'; message: string; column: string | null }
  | { code: 'permission_denied'; message: string };

/**
 * Reads the table's columns, unique indexes and the login's privileges in one statement, and says
 * what keeps the writer's upsert (records) or insert (change events) from working: a missing
 * column, one of a type the values do not go into, one the writer cannot fill (NOT NULL without a
 * default, generated), no unique index on exactly the key (records: sync_id, collection_id,
 * upstream_id; events: and updated_idx) for ON CONFLICT, or a missing privilege.
 */
export async function tableProblem(client: pg.ClientBase, table: PostgresTableName, deletes: PostgresDeletes, kind: MessageKind = 'record'): Promise<TableProblem | null> {
  const shape = tableShapeOf(kind);
  const { rows } = await client.query<TableRow>(
    `SELECT c.relkind::text AS kind,
       coalesce((SELECT json_agg(json_build_object('name', a.attname, 'type', a.atttypid::regtype::text, 'not_null', a.attnotnull,
                   'has_default', a.atthasdef OR a.attidentity <> '', 'generated', a.attgenerated <> '') ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
       coalesce((SELECT json_agg(k.cols) FROM (
                   SELECT array_agg(a.attname::text ORDER BY a.attname) AS cols
                   FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                   WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
                   GROUP BY i.indexrelid) k), '[]') AS unique_keys,
       has_schema_privilege(n.oid, 'USAGE') AS can_use_schema,
       has_table_privilege(c.oid, 'SELECT') AS can_select,
       has_table_privilege(c.oid, 'INSERT') AS can_insert,
       has_table_privilege(c.oid, 'UPDATE') AS can_update,
       has_table_privilege(c.oid, 'DELETE') AS can_delete
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`,
    [table.schema, table.name],
  );
  const found = rows[0];
  if (!found) return { code: 'table_not_found', message: `table ${tableText(table)} does not exist (create_table: true creates it)` };
  const mismatch = (column: string | null, message: string): TableProblem => ({ code: 'table_mismatch', column, message });
  if (found.kind !== 'r' && found.kind !== 'p') return mismatch(null, `${tableText(table)} is not a table (a view, a foreign table…): rows are upserted into a table`);

  const columns = new Map(found.columns.map((c) => [c.name, c]));
  for (const expected of shape.columns) {
    const column = columns.get(expected.name);
    if (!column) return mismatch(expected.name, `column ${expected.name} is missing (${expected.type})`);
    if (!FITTING_TYPES[expected.name].includes(column.type)) return mismatch(expected.name, `column ${expected.name} is ${column.type}, not ${expected.type}`);
    if (column.generated) return mismatch(expected.name, `column ${expected.name} is generated: the writer sets it`);
  }
  const written = new Set<string>(shape.columns.map((c) => c.name));
  const unfillable = found.columns.find((c) => !written.has(c.name) && c.not_null && !c.has_default);
  if (unfillable) return mismatch(unfillable.name, `column ${unfillable.name} is NOT NULL without a default: the writer does not set it`);
  const key = [...shape.key].sort().join(',');
  if (!found.unique_keys.some((cols) => [...cols].sort().join(',') === key)) {
    return mismatch('sync_id', `needs a primary key or unique constraint on exactly (${shape.key.join(', ')}), not deferrable, for ON CONFLICT`);
  }

  // Change events are only inserted (ON CONFLICT DO NOTHING): neither read nor updated.
  const needed: [boolean, string][] = [
    [found.can_use_schema, `USAGE on schema ${table.schema}`],
    ...(kind === 'event' ? [] : [[found.can_select, 'SELECT'] as [boolean, string]]),
    [found.can_insert, 'INSERT'],
    ...(kind === 'event' ? [] : [[found.can_update, 'UPDATE'] as [boolean, string]]),
    ...(deletes === 'delete' ? [[found.can_delete, 'DELETE'] as [boolean, string]] : []),
  ];
  const missing = needed.filter(([granted]) => !granted).map(([, privilege]) => privilege);
  if (missing.length > 0) return { code: 'permission_denied', message: `the login may not write table ${tableText(table)}: it lacks ${missing.join(', ')}` };
  return null;
}
