import type { PostgresTableName } from '../../domain/postgres-consumers/events.ts';
import type { ChangeEventRow } from '../../queries/change-events.ts';
import { qualifiedTable } from './table-name.ts';
import { recordParameter } from './upsert.ts';
import { EVENT_COLUMNS, EVENT_KEY_COLUMNS } from './table-shape.ts';

const columnList = EVENT_COLUMNS.map((c) => c.name).join(', ');
const recordsetColumns = EVENT_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ');

/**
 * A batch of change events as one statement (one transaction) into an append-only table
 * (docs/DELIVERY.md, "Change events" → PostgreSQL): one row per version, inserted unless its key
 * (sync_id, collection_id, upstream_id, updated_idx) is there, so a batch sent again after a crash
 * writes nothing twice. Answers as upsertStatement does: `written` rows inserted, `deleted` 0.
 */
export function eventInsertStatement(table: PostgresTableName): string {
  return `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${recordsetColumns})),
  put AS (INSERT INTO ${qualifiedTable(table)} (${columnList})
    SELECT ${columnList} FROM r
    ON CONFLICT (${EVENT_KEY_COLUMNS.join(', ')}) DO NOTHING
    RETURNING 1)
SELECT (SELECT count(*) FROM put)::int AS written, 0 AS deleted`;
}

const keyOf = (row: ChangeEventRow) => [row.sync_id, row.collection_id, row.upstream_id, String(row.updated_idx).padStart(20, '0')].join('\u0000');

/** The batch as the statement's one parameter: every version, in key order (two writers on one table lock in the same order). */
export function eventBatchParameter(rows: readonly ChangeEventRow[]): string {
  const ordered = [...rows].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  return JSON.stringify(ordered.map((row) => ({ ...recordParameter(row), action: row.action, changes: row.changes, occurred_at: row.changed_at })));
}
