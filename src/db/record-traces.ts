/**
 * Which trace wrote a record version (`record_traces`, migration 0061): one row per write of
 * consecutive positions of a stream, holding the writing span's `traceparent`. Written and read
 * only while tracing is on; a version whose write left no row (tracing was off, or the row was
 * pruned) starts its delivery's trace afresh.
 */
import type pg from 'pg';
import type { Logger } from '../logger.ts';

/** Rows older than this go (a week: longer than trace backends keep traces by default). */
const KEEP = '7 days';
/** Rows written between two prunes in one process. */
const PRUNE_EVERY = 1_000;
/** Notes waiting at most (~200 bytes each): past it the oldest go, as notes whose write failed do. */
const MAX_QUEUED = 10_000;

type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Notes which span wrote which versions, behind the writes: a page's write does not wait for its
 * note (an awaited insert per page cost ingest a round trip a page with tracing on), and the notes
 * that pile up while one insert runs go in the next, together. A delivery in this process finds
 * them at once (`remember`); another instance may read a version before its note is written, and
 * starts that delivery's trace afresh, as for a version written while tracing was off.
 */
export class RecordTraceNotes {
  private queued: Array<Write & { streamId: string }> = [];
  private flushing: Promise<void> | null = null;
  private sincePrune = 0;

  constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
  ) {}

  /** Notes that the versions at positions (lastIdx - count, lastIdx] of `streamId` were written in `traceparent`'s span. */
  note(streamId: string, lastIdx: bigint, count: number, traceparent: string): void {
    const write = { first: lastIdx - BigInt(count), last: lastIdx, traceparent };
    remember(streamId, write);
    this.queued.push({ streamId, ...write });
    if (this.queued.length > MAX_QUEUED) this.queued.splice(0, this.queued.length - MAX_QUEUED);
    this.flushing ??= this.writeQueued().finally(() => (this.flushing = null));
  }

  /** Resolves once every note taken so far is written (or its failure logged). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async writeQueued(): Promise<void> {
    while (this.queued.length > 0) {
      const writes = this.queued;
      this.queued = [];
      try {
        await this.db.query(
          `INSERT INTO record_traces (stream_id, first_idx, last_idx, traceparent)
           SELECT DISTINCT ON (w.stream_id, w.last_idx) w.stream_id, w.first_idx, w.last_idx, w.traceparent
           FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[]) WITH ORDINALITY AS w(stream_id, first_idx, last_idx, traceparent, n)
           ORDER BY w.stream_id, w.last_idx, w.n DESC
           ON CONFLICT (stream_id, last_idx) DO UPDATE SET first_idx = EXCLUDED.first_idx, traceparent = EXCLUDED.traceparent, created_at = now()`,
          [writes.map((w) => w.streamId), writes.map((w) => String(w.first)), writes.map((w) => String(w.last)), writes.map((w) => w.traceparent)],
        );
        this.sincePrune += writes.length;
        if (this.sincePrune >= PRUNE_EVERY) {
          this.sincePrune = 0;
          await this.db.query(`DELETE FROM record_traces WHERE created_at < now() - $1::interval`, [KEEP]);
        }
      } catch (error) {
        // A trace note is not data: its loss starts a delivery's trace afresh.
        this.logger.warn({ err: error, notes: writes.length }, 'could not note which traces wrote record versions');
      }
    }
  }
}

interface Write {
  first: bigint;
  last: bigint;
  traceparent: string;
}

/**
 * The writes this process noted last, per stream in position order: a delivery of what was
 * written here finds its traces without a query (the table answers for other instances' writes).
 */
const recent = new Map<string, Write[]>();
const RECENT_PER_STREAM = 1_000;
const RECENT_STREAMS = 100;

function remember(streamId: string, write: Write): void {
  let writes = recent.get(streamId);
  if (!writes) {
    writes = [];
    recent.set(streamId, writes);
    for (const oldest of recent.keys()) {
      if (recent.size <= RECENT_STREAMS) break;
      recent.delete(oldest);
    }
  }
  let at = writes.length;
  while (at > 0 && writes[at - 1]!.last > write.last) at--;
  if (at > 0 && writes[at - 1]!.last === write.last) writes[at - 1] = write;
  else writes.splice(at, 0, write);
  if (writes.length > RECENT_PER_STREAM) writes.splice(0, writes.length - RECENT_PER_STREAM);
}

/** The write (of `writes`, in position order, never overlapping) that covers `idx`, if any. */
function covering(writes: readonly Write[], idx: bigint): Write | undefined {
  let lo = 0;
  let hi = writes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (writes[mid]!.last < idx) lo = mid + 1;
    else hi = mid;
  }
  const write = writes[lo];
  return write && write.first < idx ? write : undefined;
}

/** bigints: strings or BigInts, depending on the pg type parsers installed. */
type WriteRow = { first_idx: string | bigint; last_idx: string | bigint; traceparent: string };

/** Positions further apart than this are looked up one by one, not as one range of writes. */
const RANGE_SPAN = 10_000n;

/**
 * The `traceparent` of the write of each of these versions of `streamId`, in their order
 * (undefined: no row). Close positions (a /next batch, a sink batch) take one range scan of the
 * writes covering them, matched here; scattered ones an index lookup each.
 */
export async function traceparentsAt(db: Queryable, streamId: string, idxs: readonly (string | bigint)[]): Promise<(string | undefined)[]> {
  if (idxs.length === 0) return [];
  const positions = idxs.map(BigInt);
  const known = traceparentsIn(recent.get(streamId) ?? [], positions);
  if (known.every((traceparent) => traceparent !== undefined)) return known;
  const min = positions.reduce((a, b) => (b < a ? b : a));
  const max = positions.reduce((a, b) => (b > a ? b : a));
  const { rows } =
    max - min <= RANGE_SPAN
      ? await db.query<WriteRow>(
          `SELECT first_idx, last_idx, traceparent FROM record_traces WHERE stream_id = $1 AND last_idx >= $2 AND first_idx < $3 ORDER BY last_idx`,
          [streamId, String(min), String(max)],
        )
      : await db.query<WriteRow>(
          `SELECT DISTINCT t.first_idx, t.last_idx, t.traceparent FROM unnest($2::bigint[]) AS i(idx)
           CROSS JOIN LATERAL (SELECT first_idx, last_idx, traceparent FROM record_traces WHERE stream_id = $1 AND last_idx >= i.idx ORDER BY last_idx LIMIT 1) t
           ORDER BY t.last_idx`,
          [streamId, positions.map(String)],
        );
  return traceparentsIn(
    rows.map((r) => ({ first: BigInt(r.first_idx), last: BigInt(r.last_idx), traceparent: r.traceparent })),
    positions,
  );
}

/** The traceparent of the write (of `writes`) covering each position; consecutive positions mostly share one. */
function traceparentsIn(writes: readonly Write[], positions: readonly bigint[]): (string | undefined)[] {
  let write: Write | undefined;
  return positions.map((idx) => {
    if (!write || idx <= write.first || idx > write.last) write = covering(writes, idx);
    return write?.traceparent;
  });
}

export interface RecordRef {
  syncId: string;
  collectionId: string;
  upstreamId: string;
}

/** As `traceparentsAt`, for records named by key, at their current version (an ack names no version). */
export async function traceparentsOf(db: Queryable, refs: readonly RecordRef[]): Promise<string[]> {
  if (refs.length === 0) return [];
  const { rows } = await db.query<{ traceparent: string }>(
    `SELECT t.traceparent FROM unnest($1::uuid[], $2::text[], $3::text[]) AS a(sync_id, collection_id, upstream_id)
     JOIN records r ON r.sync_id = a.sync_id AND r.collection_id = a.collection_id AND r.upstream_id = a.upstream_id
     CROSS JOIN LATERAL (SELECT traceparent, first_idx FROM record_traces WHERE stream_id = r.stream_id AND last_idx >= r.updated_idx ORDER BY last_idx LIMIT 1) t
     WHERE t.first_idx < r.updated_idx
     GROUP BY t.traceparent ORDER BY min(r.updated_idx)`,
    [refs.map((r) => r.syncId), refs.map((r) => r.collectionId), refs.map((r) => r.upstreamId)],
  );
  return rows.map((r) => r.traceparent);
}
