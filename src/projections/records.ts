import type pg from 'pg';
import type { RecordsChanged, RecordVersion } from '../domain/records/events.ts';
import { appendedAt } from '../db/appended-events.ts';
import { defineProjection } from './read-model-projection.ts';
import { inSpan } from '../tracing.ts';

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
 * larger one (DESIGN.md §2). A tombstone without data keeps the last known data. Every version
 * is also kept, with its change event's action and changes (`record_versions`, migration 0059).
 */
export const recordsProjection = defineProjection<RecordsChanged>({
  name: 'records',
  tables: ['records', 'record_versions', 'stream_heads'],
  eventTypes: ['RecordsChanged'],
  apply(events, db) {
    const attributes = () => ({ 'syncline.records.versions': events.reduce((sum, e) => sum + e.data.records.length, 0) });
    return inSpan('syncline.records.project', () => ({ attributes: attributes() }), () => projectRecords(events, db));
  },
});

async function projectRecords(events: readonly RecordsChanged[], db: pg.ClientBase): Promise<void> {
  for (const event of events) {
    const { data } = event;
    // Events read back from the log carry where they are in it (rebuild.ts, Emmett's readers).
    const metadata = (event as { metadata?: { streamName?: string; streamPosition?: bigint } }).metadata;
    const versions = data.records;
    if (versions.length === 0) continue;
    const appended = appendedAt(data);
    // `syncline_project_records` (prisma/functions/): the same function writes a backfill page's
    // records in syncline_append_backfill_page.
    const { rows } = await db.query<{ max_idx: string | bigint | null }>(
      `SELECT syncline_project_records($1::uuid, $2::uuid, $3, COALESCE($4::jsonb, (
         SELECT m.message_data->'records' FROM emt_messages m
         WHERE m.stream_id = $5 AND m.stream_position = $6 AND m.partition = 'emt:default' AND NOT m.is_archived
       ))) AS max_idx`,
      // Appended just now in this transaction (src/db/raw-append.ts): the versions are read back from the
      // event row rather than sent and parsed a second time. Replayed (rebuild, Emmett's own append): sent.
      appended
        ? [data.streamId, data.syncId, data.collectionId, null, appended.stream, appended.position.toString()]
        : [data.streamId, data.syncId, data.collectionId, toJson(versions), null, null],
    );
    const max = rows[0]?.max_idx;
    if (max === undefined || max === null) continue;
    projectedHead.set(data, BigInt(max));
    if (!appended && metadata?.streamName !== undefined && metadata.streamPosition !== undefined) {
      // A replay (rebuild): the versions were written when the event was, not now. Each version of
      // the batch got one of the positions (max - n, max].
      await db.query(
        `UPDATE records r SET changed_at = m.created FROM emt_messages m
         WHERE m.stream_id = $3 AND m.stream_position = $4 AND m.partition = 'emt:default'
           AND r.stream_id = $1 AND r.updated_idx > $2::bigint - $5 AND r.updated_idx <= $2::bigint`,
        [data.streamId, String(max), metadata.streamName, String(metadata.streamPosition), versions.length],
      );
      await db.query(
        `UPDATE record_versions v SET changed_at = m.created FROM emt_messages m
         WHERE m.stream_id = $3 AND m.stream_position = $4 AND m.partition = 'emt:default'
           AND v.stream_id = $1 AND v.updated_idx > $2::bigint - $5 AND v.updated_idx <= $2::bigint`,
        [data.streamId, String(max), metadata.streamName, String(metadata.streamPosition), versions.length],
      );
    }
  }
}
