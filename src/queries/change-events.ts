import type pg from 'pg';
import type { EventAction, MessageShape } from '../domain/change-events.ts';
import type { RecordRow } from '../projections/record-row.ts';
import { streamPageCut, type StreamRecordFilter } from './record-pages.ts';

/** A version of `record_versions` (migration 0059) with its change event's action, changes and time. */
export interface ChangeEventRow extends RecordRow {
  action: EventAction;
  changes: Record<string, unknown> | null;
  changed_at: Date;
}

export type ChangeEventFilter = StreamRecordFilter & Pick<MessageShape, 'eventActions' | 'eventChangedFields'>;

/**
 * The statement reading a stream's change events past a position (streamEventRows), selecting
 * `columns` of `c` (a `record_versions` row, and `scanned`: the rows looked at, one past the limit)
 * in stream order: the events twin of streamRecordPage. Parameters: streamEventParams.
 */
export const streamEventPage = (columns: string) => `
  SELECT ${columns}
  FROM (SELECT s.*, sum(s.bytes) OVER w AS running, row_number() OVER w AS n, count(*) OVER () AS scanned
        FROM (SELECT v.*, syncline_record_bytes(v.data, v.upstream_id) AS bytes FROM record_versions v
              WHERE v.stream_id = $1 AND ($2::uuid IS NULL OR v.sync_id = $2) AND ($3::text[] IS NULL OR v.collection_id = ANY($3))
                AND ($7::text IS NULL OR split_part(v.collection_id, ':', 1) = $7) AND v.updated_idx > $4
                AND syncline_event_matches(v.action, v.changes, $8, $9)
              ORDER BY v.updated_idx LIMIT $5 + 1) s
        WINDOW w AS (ORDER BY s.updated_idx ROWS UNBOUNDED PRECEDING)) c
  WHERE c.n <= $5 AND (c.running <= $6 OR c.n = 1)
  ORDER BY c.updated_idx`;

/** $1…$9 of streamEventPage. */
export const streamEventParams = (filter: ChangeEventFilter, afterIdx: bigint, limit: number, maxBytes: number): unknown[] => [
  filter.streamId,
  filter.syncId,
  filter.collectionIds ?? null,
  afterIdx.toString(),
  limit,
  maxBytes,
  filter.provider ?? null,
  filter.eventActions,
  filter.eventChangedFields,
];

/** The change event's JSON text (docs/DELIVERY.md, "Change events") of the `record_versions` row aliased `alias`, built by PostgreSQL. */
export const eventJsonOf = (alias: string) =>
  `syncline_event_json(${alias}.sync_id, ${alias}.collection_id, ${alias}.upstream_id, ${alias}.updated_idx, ${alias}.upstream_created_at, ${alias}.upstream_updated_at, ${alias}.deleted, ${alias}.data, ${alias}.action, ${alias}.changes, ${alias}.changed_at)`;

/**
 * A stream's change events past `afterIdx` (every version the filters let through, in stream
 * order), at most `limit` and, past the first, at most `maxBytes` of data: the events twin of
 * streamRecordRows, for the server's own readers (graphql-ws `recordEvent`, the push consumers).
 */
export async function streamEventRows(pool: pg.Pool, filter: ChangeEventFilter, afterIdx: bigint, limit: number, maxBytes: number): Promise<{ rows: ChangeEventRow[]; more: boolean }> {
  const { rows } = await pool.query<ChangeEventRow & { scanned: string }>(
    streamEventPage(
      `c.sync_id, c.collection_id, c.upstream_id, c.updated_idx::text AS updated_idx, c.data, c.deleted, c.upstream_created_at, c.upstream_updated_at,
       c.action, c.changes, c.changed_at, c.scanned`,
    ),
    streamEventParams(filter, afterIdx, limit, maxBytes),
  );
  const more = streamPageCut(rows.length, rows[0]?.scanned);
  return { rows: rows.map(({ scanned: _scanned, ...row }) => row), more };
}

/** A change event as consumers receive it (docs/DELIVERY.md, "Change events"), from its row. */
export function presentChangeEvent(row: ChangeEventRow) {
  return {
    action: row.action,
    changes: row.changes,
    record: {
      sync_id: row.sync_id,
      collection_id: row.collection_id,
      upstream_id: row.upstream_id,
      updated_idx: Number(row.updated_idx),
      upstream_created_at: row.upstream_created_at?.toISOString() ?? null,
      upstream_updated_at: row.upstream_updated_at?.toISOString() ?? null,
      deleted: row.deleted,
      data: row.data,
    },
    occurred_at: row.changed_at.toISOString(),
  };
}
