/**
 * Kept plans (DELIVERY.md, "The same batches after a crash"): for kinds whose targets drop
 * duplicates by batch id, the positions of the records a runner reads past a position are kept by
 * the very statement that reads them, before any of them is sent. A restarted runner sends the
 * kept records past its position again, in the same batches under the same ids, before reading on:
 * their texts are read again by position from `record_versions`, which keeps every version at its
 * position (migration 0064; plans kept before it hold their texts). A plan goes once the position
 * passed its last record (`SinkRuntimeStore.advance`), and with a reset (`SinkRuntimeStore.load`).
 */
import type pg from 'pg';
import { eventJsonOf, streamEventPage, streamEventParams, type ChangeEventFilter } from '../../queries/change-events.ts';
import { recordJsonOf, streamPageCut, streamRecordPage, streamRecordParams, type StreamRecordFilter } from '../../queries/record-pages.ts';
import { UNFLUSHED, unlessGone } from './runtime.ts';
import type { JsonRecord, SinkKeptPlan, SinkRead } from './sink.ts';

/** The columns of a JsonRecord, of a `records` row aliased `c`. */
export const JSON_RECORD_COLUMNS = `c.sync_id, c.collection_id, c.upstream_id, c.updated_idx::text AS updated_idx, ${recordJsonOf('c')} AS json`;

/** The columns of a JsonRecord holding a change event's text (docs/DELIVERY.md, "Change events"), of a `record_versions` row aliased `c`. */
export const JSON_EVENT_COLUMNS = `c.sync_id, c.collection_id, c.upstream_id, c.updated_idx::text AS updated_idx, ${eventJsonOf('c')} AS json`;

/**
 * The records past `after` as streamRecordRows reads them, as JSON texts, kept as the consumer's
 * plan past `after` in the same statement (none kept when there are none). Its commit does not
 * wait for the WAL flush, like the position moves (runtime.ts, UNFLUSHED): only a crash of
 * PostgreSQL itself can lose a plan, and the moves past it with it.
 */
export function readAndKeepPlan(pool: pg.Pool, consumerId: string, filter: StreamRecordFilter, after: bigint, limit: number, maxBytes: number): Promise<SinkRead<JsonRecord>> {
  return readAndKeep(pool, consumerId, streamRecordPage(`${JSON_RECORD_COLUMNS}, c.scanned, c.updated_idx AS idx`), streamRecordParams(filter, after, limit, maxBytes));
}

/** readAndKeepPlan of change events: every version past `after` the filters let through, each as its event's JSON text. */
export function readAndKeepEventPlan(pool: pg.Pool, consumerId: string, filter: ChangeEventFilter, after: bigint, limit: number, maxBytes: number): Promise<SinkRead<JsonRecord>> {
  return readAndKeep(pool, consumerId, streamEventPage(`${JSON_EVENT_COLUMNS}, c.scanned, c.updated_idx AS idx`), streamEventParams(filter, after, limit, maxBytes));
}

/** `page` (its $4 the position read past) with `params`, kept as the consumer's plan (the last parameter) in the same statement. */
async function readAndKeep(pool: pg.Pool, consumerId: string, page: string, params: unknown[]): Promise<SinkRead<JsonRecord>> {
  const consumerParam = `$${params.length + 1}`;
  const { rows } = await unlessGone(
    pool.query<JsonRecord & { scanned: string }>(
      `WITH picked AS (${page}),
            kept AS (
              INSERT INTO sink_plans AS p (consumer_id, after_idx, last_idx, updated_idxs)
              SELECT ${consumerParam}, $4::bigint, max(idx), array_agg(idx ORDER BY idx)
              FROM picked HAVING count(*) > 0 AND ${UNFLUSHED}
              ON CONFLICT (consumer_id, after_idx) DO UPDATE SET last_idx = excluded.last_idx, updated_idxs = excluded.updated_idxs, records = NULL)
       SELECT sync_id, collection_id, upstream_id, updated_idx, json, scanned FROM picked ORDER BY idx`,
      [...params, consumerId],
    ),
  );
  const more = streamPageCut(rows.length, rows[0]?.scanned);
  return { records: rows.map(({ scanned: _scanned, ...record }) => record), more };
}

/**
 * The consumer's kept plans that reach past `position`, in stream order, each record's text read
 * again from `record_versions` of `streamId` at its position as `jsonOf` builds it (a record's or a
 * change event's), unless the plan kept its texts.
 */
export async function keptPlans(pool: pg.Pool, consumerId: string, streamId: string, position: bigint, jsonOf: (alias: string) => string): Promise<SinkKeptPlan<JsonRecord>[]> {
  const { rows } = await pool.query<{ after: string; idxs: string[]; records: string | null; texts: string[] | null }>(
    `SELECT p.after_idx::text AS after, p.updated_idxs::text[] AS idxs, p.records,
       CASE WHEN p.records IS NULL THEN
         (SELECT array_agg(${jsonOf('c')} ORDER BY u.n) FROM unnest(p.updated_idxs) WITH ORDINALITY AS u(idx, n)
          JOIN record_versions c ON c.stream_id = $3 AND c.updated_idx = u.idx)
       END AS texts
     FROM sink_plans p WHERE p.consumer_id = $1 AND p.last_idx > $2 ORDER BY p.after_idx`,
    [consumerId, position.toString(), streamId],
  );
  return rows.map((row) => {
    const texts = row.records?.split('\n') ?? row.texts ?? [];
    // A version missing from record_versions (none is ever removed) would shift every text after
    // it onto the wrong position: such a plan is read afresh instead.
    if (texts.length !== row.idxs.length) return { after: BigInt(row.after), records: [] };
    return { after: BigInt(row.after), records: texts.map((json, i) => keptRecord(json, row.idxs[i]!)) };
  });
}

type KeptKey = Pick<JsonRecord, 'sync_id' | 'collection_id' | 'upstream_id'>;

/** A kept record or change event: its text, and the key it holds (an event's under `record`; parsed only after a restart). */
function keptRecord(json: string, updatedIdx: string): JsonRecord {
  const parsed = JSON.parse(json) as KeptKey | { action: string; record: KeptKey };
  const { sync_id, collection_id, upstream_id } = 'action' in parsed ? parsed.record : parsed;
  return { sync_id, collection_id, upstream_id, updated_idx: updatedIdx, json };
}
