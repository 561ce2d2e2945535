import type { RecordsChanged } from '../domain/records/events.ts';
import { defineProjection } from './read-model-projection.ts';

/**
 * Latest version per record key, each change with the next `updated_idx` of its stream.
 * A whole batch is one statement. The stream head row is locked until the appending transaction
 * commits, so a reader never sees a smaller idx commit after a larger one (DESIGN.md §2).
 * A tombstone without data keeps the last known data.
 */
export const recordsProjection = defineProjection<RecordsChanged>({
  name: 'records',
  tables: ['records', 'stream_heads'],
  eventTypes: ['RecordsChanged'],
  async apply(events, db) {
    for (const { data } of events) {
      const versions = data.records;
      if (versions.length === 0) continue;
      await db.query(
        `WITH head AS (
           INSERT INTO stream_heads (stream_id, last_idx) VALUES ($1, $4)
           ON CONFLICT (stream_id) DO UPDATE SET last_idx = stream_heads.last_idx + $4
           RETURNING last_idx
         )
         INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, data, data_hash, deleted, upstream_created_at, upstream_updated_at)
         SELECT $2, $3, v.upstream_id, $1, (SELECT last_idx FROM head) - $4 + v.ord, v.data::jsonb, v.data_hash, v.deleted, v.created_at, v.updated_at
         FROM unnest($5::text[], $6::text[], $7::text[], $8::boolean[], $9::timestamptz[], $10::timestamptz[])
           WITH ORDINALITY AS v(upstream_id, data, data_hash, deleted, created_at, updated_at, ord)
         ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET
           updated_idx = EXCLUDED.updated_idx,
           data = CASE WHEN EXCLUDED.deleted AND EXCLUDED.data = '{}'::jsonb THEN records.data ELSE EXCLUDED.data END,
           data_hash = EXCLUDED.data_hash,
           deleted = EXCLUDED.deleted,
           upstream_created_at = COALESCE(EXCLUDED.upstream_created_at, records.upstream_created_at),
           upstream_updated_at = EXCLUDED.upstream_updated_at`,
        [
          data.streamId,
          data.syncId,
          data.collectionId,
          versions.length,
          versions.map((v) => v.upstreamId),
          versions.map((v) => JSON.stringify(v.data)),
          versions.map((v) => v.dataHash),
          versions.map((v) => v.deleted),
          versions.map((v) => v.upstreamCreatedAt),
          versions.map((v) => v.upstreamUpdatedAt),
        ],
      );
    }
  },
});
