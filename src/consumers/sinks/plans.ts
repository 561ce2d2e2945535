/**
 * Kept plans (DELIVERY.md, "The same batches after a crash"): for kinds whose targets drop
 * duplicates by batch id, the positions of the records a runner reads past a position are kept
 * before any of them is sent (`keepPlan`, one plan after the other in the order they were read, so
 * that the kept plans follow one another). A restarted runner sends the kept records past its
 * position again, in the same batches under the same ids, before reading on: their texts are read
 * again by position from `record_versions`, which keeps every version at its position (migration
 * 0064; plans kept before it hold their texts). A plan goes once the position passed its last
 * record (`SinkRuntimeStore.advance`), and with a reset (`SinkRuntimeStore.load`).
 */
import type pg from 'pg';
import { eventJsonOf, streamEventPage, streamEventParams, type ChangeEventFilter } from '../../queries/change-events.ts';
import { recordJsonOf, streamPageCut, streamRecordPage, streamRecordParams, type StreamRecordFilter } from '../../queries/record-pages.ts';
import { UNFLUSHED, unlessGone } from './runtime.ts';
import type { JsonRecord, SinkKeptPlan, SinkRead, SinkReadContext } from './sink.ts';

/** The columns of a JsonRecord, of a `records` row aliased `c`. */
export const JSON_RECORD_COLUMNS = `c.sync_id, c.collection_id, c.upstream_id, c.updated_idx::text AS updated_idx, ${recordJsonOf('c')} AS json`;

/** The columns of a JsonRecord holding a change event's text (docs/DELIVERY.md, "Change events"), of a `record_versions` row aliased `c`. */
export const JSON_EVENT_COLUMNS = `c.sync_id, c.collection_id, c.upstream_id, c.updated_idx::text AS updated_idx, ${eventJsonOf('c')} AS json`;

/** The records past `after` as streamRecordRows reads them, as JSON texts. */
export function readRecordPlan(pool: pg.Pool, filter: StreamRecordFilter, after: bigint, limit: number, maxBytes: number): Promise<SinkRead<JsonRecord>> {
  return readJsonPage(pool, streamRecordPage(`${JSON_RECORD_COLUMNS}, c.scanned`), streamRecordParams(filter, after, limit, maxBytes));
}

/** readRecordPlan of change events: every version past `after` the filters let through, each as its event's JSON text. */
export function readEventPlan(pool: pg.Pool, filter: ChangeEventFilter, after: bigint, limit: number, maxBytes: number): Promise<SinkRead<JsonRecord>> {
  return readJsonPage(pool, streamEventPage(`${JSON_EVENT_COLUMNS}, c.scanned`), streamEventParams(filter, after, limit, maxBytes));
}

/** `page` (its columns those of a JsonRecord, then `scanned`) with `params`. */
async function readJsonPage(pool: pg.Pool, page: string, params: unknown[]): Promise<SinkRead<JsonRecord>> {
  // Rows as arrays: a plan is a thousand rows, and pg names each field of an object row.
  const { rows } = await pool.query<[string, string, string, string, string, string]>({ text: page, values: params, rowMode: 'array' });
  const records = rows.map(([sync_id, collection_id, upstream_id, updated_idx, json]): JsonRecord => ({ sync_id, collection_id, upstream_id, updated_idx, json }));
  return { records, more: streamPageCut(records.length, rows[0]?.[5]) };
}

/**
 * Keeps `records` (read past `after`) as the consumer's plan past `after`. Its commit does not wait
 * for the WAL flush, like the position moves (runtime.ts, UNFLUSHED): only a crash of PostgreSQL
 * itself can lose a plan, and the moves past it with it. Kept apart from the read (it used to be
 * one statement): the read, which the runner waits for, is then half as long.
 */
export async function keepPlan({ pool, consumer }: SinkReadContext, after: bigint, records: readonly JsonRecord[]): Promise<void> {
  if (records.length === 0) return;
  const idxs = records.map((r) => r.updated_idx);
  await unlessGone(
    pool.query(
      `INSERT INTO sink_plans AS p (consumer_id, after_idx, last_idx, updated_idxs)
       SELECT $1, $2::bigint, $3::bigint, $4::bigint[] WHERE ${UNFLUSHED}
       ON CONFLICT (consumer_id, after_idx) DO UPDATE SET last_idx = excluded.last_idx, updated_idxs = excluded.updated_idxs, records = NULL`,
      [consumer.id, after.toString(), idxs[idxs.length - 1], idxs],
    ),
  );
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
