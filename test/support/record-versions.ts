import type pg from 'pg';

/** Every version of one object appended to the sync's records log, oldest first, with the source that wrote it. */
export async function versionsOf(pool: pg.Pool, syncId: string, collectionId: string, upstreamId: string) {
  const { rows } = await pool.query<{ source: string; deleted: boolean; data: Record<string, unknown> }>(
    `SELECT m.message_data->>'source' AS source, (r->>'deleted')::boolean AS deleted, r->'data' AS data
     FROM emt_messages m, jsonb_array_elements(m.message_data->'records') r
     WHERE m.stream_id = $1 AND m.message_type = 'RecordsChanged' AND r->>'upstreamId' = $2
     ORDER BY m.global_position`,
    [`records-${syncId}-${collectionId}`, upstreamId],
  );
  return rows;
}

/** How many record versions the sync's collection log holds. */
export async function versionCount(pool: pg.Pool, syncId: string, collectionId: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT COALESCE(sum(jsonb_array_length(message_data->'records')), 0) AS n FROM emt_messages WHERE stream_id = $1 AND message_type = 'RecordsChanged'`,
    [`records-${syncId}-${collectionId}`],
  );
  return Number(rows[0]!.n);
}
