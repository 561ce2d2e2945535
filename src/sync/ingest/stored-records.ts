/**
 * The stored records ($1 sync, $2 collection) of the upstream ids $3, one primary-key lookup
 * each: joined plainly, the planner (with the row estimates of a freshly loaded table) hashes
 * every record of the collection instead, and LIMIT keeps it a lookup. The sync's id reaches the
 * planner as a value it cannot see, `(SELECT $1)`: a sync newer than the last ANALYZE of records
 * would be estimated at one record, and records_sync_idx then looks cheaper than the primary key
 * while it reads every record of the sync (migration 0038).
 */
export function storedRecordsSql(columns: string): string {
  return `SELECT u.id AS upstream_id, r.* FROM unnest($3::text[]) AS u(id)
    CROSS JOIN LATERAL (
      SELECT ${columns} FROM records WHERE sync_id = (SELECT $1::uuid) AND collection_id = $2 AND upstream_id = u.id LIMIT 1
    ) r`;
}
