import type { RecordsChanged, RecordVersion } from '../domain/records/events.ts';
import { appendedAt } from '../db/appended-events.ts';
import { defineProjection } from './read-model-projection.ts';

/** The last `updated_idx` a batch got, for the command that appended it. */
const projectedHead = new WeakMap<RecordsChanged['data'], bigint>();

export function projectedMaxIdx(data: RecordsChanged['data']): bigint | undefined {
  return projectedHead.get(data);
}

const toJson = (versions: readonly RecordVersion[]) => JSON.stringify(versions);

/**
 * Latest version per record key, each change with the next `updated_idx` of its stream.
 * A whole batch is one statement, its versions one JSON value. The stream head row is locked
 * until the appending transaction commits, so a reader never sees a smaller idx commit after a
 * larger one (DESIGN.md §2). A tombstone without data keeps the last known data.
 */
export const recordsProjection = defineProjection<RecordsChanged>({
  name: 'records',
  tables: ['records', 'stream_heads'],
  eventTypes: ['RecordsChanged'],
  async apply(events, db) {
    for (const { data } of events) {
      const versions = data.records;
      if (versions.length === 0) continue;
      const appended = appendedAt(data);
      const { rows } = await db.query<{ max_idx: string | bigint }>(
        `WITH head AS (
           INSERT INTO stream_heads (stream_id, last_idx) VALUES ($1, $4)
           ON CONFLICT (stream_id) DO UPDATE SET last_idx = stream_heads.last_idx + $4
           RETURNING last_idx
         ), written AS (
           INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, data, data_hash, deleted, upstream_created_at, upstream_updated_at)
           SELECT $2, $3, v.rec->>'upstreamId', $1, (SELECT last_idx FROM head) - $4 + v.ord, v.rec->'data', v.rec->>'dataHash', (v.rec->>'deleted')::boolean,
             (v.rec->>'upstreamCreatedAt')::timestamptz, (v.rec->>'upstreamUpdatedAt')::timestamptz
           FROM jsonb_array_elements(COALESCE($5::jsonb, (
             SELECT m.message_data->'records' FROM emt_messages m
             WHERE m.stream_id = $6 AND m.stream_position = $7 AND m.partition = 'emt:default' AND NOT m.is_archived
           ))) WITH ORDINALITY AS v(rec, ord)
           ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET
             updated_idx = EXCLUDED.updated_idx,
             data = CASE WHEN EXCLUDED.deleted AND EXCLUDED.data = '{}'::jsonb THEN records.data ELSE EXCLUDED.data END,
             data_hash = EXCLUDED.data_hash,
             deleted = EXCLUDED.deleted,
             upstream_created_at = COALESCE(EXCLUDED.upstream_created_at, records.upstream_created_at),
             upstream_updated_at = EXCLUDED.upstream_updated_at
           RETURNING updated_idx
         )
         SELECT max(updated_idx) AS max_idx FROM written`,
        // Appended just now in this transaction (src/db/raw-append.ts): the versions are read back from the
        // event row rather than sent and parsed a second time. Replayed (rebuild, Emmett's own append): sent.
        appended
          ? [data.streamId, data.syncId, data.collectionId, versions.length, null, appended.stream, appended.position.toString()]
          : [data.streamId, data.syncId, data.collectionId, versions.length, toJson(versions), null, null],
      );
      const max = rows[0]?.max_idx;
      if (max !== undefined && max !== null) projectedHead.set(data, BigInt(max));
    }
  },
});
