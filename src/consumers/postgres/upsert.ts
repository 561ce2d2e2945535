import type { PostgresDeletes, PostgresTableName } from '../../domain/postgres-consumers/events.ts';
import type { RecordRow } from '../../projections/record-row.ts';
import { qualifiedTable } from './table-name.ts';
import { KEY_COLUMNS, RECORD_COLUMNS } from './table-shape.ts';

const columnList = RECORD_COLUMNS.map((c) => c.name).join(', ');
const recordsetColumns = RECORD_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ');
const keyList = KEY_COLUMNS.join(', ');
const updatedColumns = RECORD_COLUMNS.filter((c) => !(KEY_COLUMNS as readonly string[]).includes(c.name))
  .map((c) => `${c.name} = excluded.${c.name}`)
  .join(', ');

/**
 * One batch as one statement, so one transaction: the rows come as one JSON array
 * (`jsonb_to_recordset`), each is inserted or, when its key is there, updated only if its
 * `updated_idx` is newer than the stored one. A replay changes nothing; an older version never
 * overwrites a newer one. With `deletes: "delete"` a tombstone deletes the stored row instead,
 * again only when the stored version is older; other versions are upserted. The answer counts
 * what changed: `written` rows inserted or updated, `deleted` rows removed.
 */
export function upsertStatement(table: PostgresTableName, deletes: PostgresDeletes): string {
  const target = qualifiedTable(table);
  const upsert = (rows: string) => `INSERT INTO ${target} AS t (${columnList})
    SELECT ${columnList} FROM ${rows}
    ON CONFLICT (${keyList}) DO UPDATE SET ${updatedColumns}
    WHERE excluded.updated_idx > t.updated_idx
    RETURNING 1`;
  if (deletes === 'mark') {
    return `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${recordsetColumns})),
  put AS (${upsert('r')})
SELECT (SELECT count(*) FROM put)::int AS written, 0 AS deleted`;
  }
  return `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${recordsetColumns})),
  gone AS (DELETE FROM ${target} AS t USING r
    WHERE r.deleted AND t.sync_id = r.sync_id AND t.collection_id = r.collection_id AND t.upstream_id = r.upstream_id AND t.updated_idx < r.updated_idx
    RETURNING 1),
  put AS (${upsert('r WHERE NOT r.deleted')})
SELECT (SELECT count(*) FROM put)::int AS written, (SELECT count(*) FROM gone)::int AS deleted`;
}

const keyOf = (row: RecordRow) => `${row.sync_id}\u0000${row.collection_id}\u0000${row.upstream_id}`;

/**
 * The batch as the statement's one parameter: each key once, at its newest version (ON CONFLICT
 * cannot touch a row twice in one statement), in key order, so two writers on one table lock rows
 * in the same order and cannot deadlock.
 */
export function batchParameter(rows: readonly RecordRow[]): string {
  const newest = new Map<string, RecordRow>();
  for (const row of rows) {
    const key = keyOf(row);
    const seen = newest.get(key);
    if (!seen || BigInt(row.updated_idx) > BigInt(seen.updated_idx)) newest.set(key, row);
  }
  const ordered = [...newest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  return JSON.stringify(ordered.map(recordParameter));
}

/** A record's columns in a batch parameter (jsonb_to_recordset). */
export function recordParameter(row: RecordRow) {
  return {
    sync_id: row.sync_id,
    collection_id: row.collection_id,
    upstream_id: row.upstream_id,
    // The server's pool parses int8 as bigint (Emmett's type parser), which JSON cannot hold.
    updated_idx: String(row.updated_idx),
    upstream_created_at: row.upstream_created_at,
    upstream_updated_at: row.upstream_updated_at,
    deleted: row.deleted,
    data: row.data,
  };
}
