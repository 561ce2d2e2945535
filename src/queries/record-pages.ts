import type pg from 'pg';
import type { RecordRow } from '../projections/record-row.ts';

/**
 * Pages of a sync's (or a stream's) records bounded by bytes as well as by count (issue 21;
 * DELIVERY.md, "Byte budget"): a page ends early when its records' bytes reach the budget, always
 * with at least one record, and says that more follow. The bound holds in PostgreSQL, before any
 * row reaches the server: each record's bytes come from `syncline_record_bytes`
 * (prisma/functions/), the stored value's size, not from its JSON.
 */

/** Whose records: one sync's, or those of every sync of a stream (the console's "All syncs"). */
export type RecordPageScope = { syncId: string } | { streamId: string };

export type RecordPageFilter = RecordPageScope & {
  collectionId?: string | null | undefined;
  upstreamId?: string | null | undefined;
};

export type RecordPageRequest = RecordPageFilter & {
  /** Records past this position. */
  afterIdx: bigint;
  limit: number;
  maxBytes: number;
};

/**
 * The rows of one page, their bytes summed in position order and cut at the budget (the first
 * always). One row past the limit is looked at, without its data, to tell whether more follow.
 */
const pageRows = (page: RecordPageScope, select: string) => `
  SELECT ${select}
  FROM (SELECT s.*, sum(s.bytes) OVER w AS running, row_number() OVER w AS n, count(*) OVER () AS scanned
        FROM (SELECT r.*, syncline_record_bytes(r.data, r.upstream_id) AS bytes FROM records r
              WHERE ${'syncId' in page ? 'r.sync_id' : 'r.stream_id'} = $1 AND ($2::text IS NULL OR r.collection_id = $2) AND ($3::text IS NULL OR r.upstream_id = $3)
                AND r.updated_idx > $4
              ORDER BY r.updated_idx LIMIT $5 + 1) s
        WINDOW w AS (ORDER BY s.updated_idx ROWS UNBOUNDED PRECEDING)) c
  WHERE c.n <= $5 AND (c.running <= $6 OR c.n = 1)
  ORDER BY c.updated_idx`;

const params = (page: RecordPageRequest) => ['syncId' in page ? page.syncId : page.streamId, page.collectionId ?? null, page.upstreamId ?? null, page.afterIdx.toString(), page.limit, page.maxBytes];

/** The JSON text of DESIGN.md §2 of the `records` row aliased `alias`, built by PostgreSQL (prisma/functions/). */
export const recordJsonOf = (alias: string) =>
  `syncline_record_json(${alias}.sync_id, ${alias}.collection_id, ${alias}.upstream_id, ${alias}.updated_idx, ${alias}.upstream_created_at, ${alias}.upstream_updated_at, ${alias}.deleted, ${alias}.data)`;

/** More records follow: the page was cut by bytes or by the limit. */
const hasMore = (returned: number, scanned: number) => returned < scanned;

export interface JsonRecordPage {
  /** Each record as the JSON text of DESIGN.md §2, built by PostgreSQL (`syncline_record_json`). */
  json: string[];
  /** The last record's position when more follow. */
  nextAfter: string | null;
}

/** A page as JSON texts, for REST: the server joins them without parsing. */
export async function recordPageJson(pool: pg.Pool, page: RecordPageRequest): Promise<JsonRecordPage> {
  const { rows } = await pool.query<{ updated_idx: string; scanned: string; json: string }>(
    pageRows(
      page,
      `c.updated_idx::text, c.scanned, ${recordJsonOf('c')} AS json`,
    ),
    params(page),
  );
  const last = rows[rows.length - 1];
  const more = last !== undefined && hasMore(rows.length, Number(last.scanned));
  return { json: rows.map((r) => r.json), nextAfter: more ? last.updated_idx : null };
}

export interface RecordPageBounds {
  /** The last position of the page (null: no records). */
  lastIdx: bigint | null;
  /** Its bytes, as counted against the budget. */
  bytes: number;
  more: boolean;
}

/** Where a page ends, without reading its records' data: GraphQL then reads that range. */
export async function recordPageBounds(pool: pg.Pool, page: RecordPageRequest): Promise<RecordPageBounds> {
  const { rows } = await pool.query<{ last_idx: string | null; bytes: string | null; returned: string; scanned: string | null }>(
    `SELECT max(p.updated_idx)::text AS last_idx, max(p.running)::text AS bytes, count(*) AS returned, max(p.scanned) AS scanned
     FROM (${pageRows(page, 'c.updated_idx, c.running, c.scanned')}) p`,
    params(page),
  );
  const row = rows[0];
  if (!row?.last_idx) return { lastIdx: null, bytes: 0, more: false };
  return { lastIdx: BigInt(row.last_idx), bytes: Number(row.bytes), more: hasMore(Number(row.returned), Number(row.scanned)) };
}

export interface StreamRecordFilter {
  streamId: string;
  /** null: every sync of the stream */
  syncId: string | null;
  /** null: every collection */
  collectionIds?: string[] | null;
  /** null: every provider; else only collections `<provider>:…` */
  provider?: string | null;
}

/**
 * The statement reading a stream's records past a position (streamRecordRows), selecting `columns`
 * of `c` (a `records` row, and `scanned`: the rows looked at, one past the limit) in stream order.
 * Parameters: streamRecordParams.
 */
export const streamRecordPage = (columns: string) => `
  SELECT ${columns}
  FROM (SELECT s.*, sum(s.bytes) OVER w AS running, row_number() OVER w AS n, count(*) OVER () AS scanned
        FROM (SELECT r.*, syncline_record_bytes(r.data, r.upstream_id) AS bytes FROM records r
              WHERE r.stream_id = $1 AND ($2::uuid IS NULL OR r.sync_id = $2) AND ($3::text[] IS NULL OR r.collection_id = ANY($3))
                AND ($7::text IS NULL OR split_part(r.collection_id, ':', 1) = $7) AND r.updated_idx > $4
              ORDER BY r.updated_idx LIMIT $5 + 1) s
        WINDOW w AS (ORDER BY s.updated_idx ROWS UNBOUNDED PRECEDING)) c
  WHERE c.n <= $5 AND (c.running <= $6 OR c.n = 1)
  ORDER BY c.updated_idx`;

/** $1…$7 of streamRecordPage. */
export const streamRecordParams = (filter: StreamRecordFilter, afterIdx: bigint, limit: number, maxBytes: number): unknown[] => [
  filter.streamId,
  filter.syncId,
  filter.collectionIds ?? null,
  afterIdx.toString(),
  limit,
  maxBytes,
  filter.provider ?? null,
];

/** More records follow a stream page of `returned` rows whose first row says it `scanned` rows. */
export const streamPageCut = (returned: number, scanned: string | number | bigint | undefined) => returned > 0 && returned < Number(scanned);

/**
 * A stream's records past `afterIdx` as rows, at most `limit` and, past the first, at most
 * `maxBytes` of them, for the server's own readers (the NATS publisher, the graphql-ws replay);
 * `more`: the batch was cut, read on from its last position.
 */
export async function streamRecordRows(pool: pg.Pool, filter: StreamRecordFilter, afterIdx: bigint, limit: number, maxBytes: number): Promise<{ rows: RecordRow[]; more: boolean }> {
  const { rows } = await pool.query<RecordRow & { scanned: string }>(
    streamRecordPage('c.sync_id, c.collection_id, c.upstream_id, c.updated_idx, c.data, c.deleted, c.upstream_created_at, c.upstream_updated_at, c.scanned'),
    streamRecordParams(filter, afterIdx, limit, maxBytes),
  );
  const more = streamPageCut(rows.length, rows[0]?.scanned);
  return { rows: rows.map(({ scanned: _scanned, ...row }) => row), more };
}
