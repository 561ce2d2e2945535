import { randomUUID } from 'node:crypto';
import { ExpectedVersionConflictError, NO_CONCURRENCY_CHECK, type Event } from '@event-driven-io/emmett';
import type pg from 'pg';
import { rememberAppended } from './appended-events.ts';
import type { InlineProjection } from './inline-projection.ts';

/** Emmett's default partition (`emt:default`), where its own appends go. */
const PARTITION = 'emt:default';

/** An event to append, with the JSON text of its data when the caller already has it. */
export interface RawEvent {
  type: string;
  data: unknown;
  /** `JSON.stringify(data)` (or an equivalent JSON text), to spare stringifying big batches twice. */
  dataJson?: string;
}

/**
 * Appends events to an Emmett stream inside the caller's transaction and projects them inline
 * with `projections`, the read models Emmett runs (src/db/event-store.ts; `ctx.inlineProjections`
 * holds the same list), so the rows written are exactly those of `eventStore.appendToStream`:
 * same `emt_append_to_stream` function, stream type (the name's first part), partition and empty
 * metadata; `rebuild-projections` reads them like any other event.
 *
 * Why not Emmett's own append: it formats every event as an SQL literal in JavaScript
 * (`formatWithArray` / `quoteLiteral` were the top frames of a backfill's CPU profile), in a
 * transaction of its own. Here the data travels as bind parameters, and the caller can put the
 * append in a transaction with other writes (a backfill page's records and its checkpoint).
 *
 * Throws `ExpectedVersionConflictError` when another transaction appended to the stream first
 * (as Emmett does); with `lockStream` an existing stream's append never gets it.
 */
export async function appendEventsInTransaction(
  db: pg.ClientBase,
  projections: readonly InlineProjection[],
  streamName: string,
  events: readonly RawEvent[],
  options: { lockStream?: boolean } = {},
): Promise<void> {
  if (events.length === 0) return;
  const [first, ...rest] = streamName.split('-');
  const streamType = first && rest.length > 0 ? first : 'emt:unknown';
  // Each event's JSON is its own parameter (an SQL array parameter would be escaped element by element in JavaScript).
  const data = events.map((_, i) => `$${i + 9}::jsonb`).join(', ');
  const append = `emt_append_to_stream($1::text[], ARRAY[${data}]::jsonb[], $2::jsonb[], $3::text[], $4::text[], $5::text[], $6::text, $7::text, NULL::bigint, $8::text)`;
  // With lockStream, the stream's row is locked before the function reads its position (a fresh
  // snapshot per statement inside it), in the same round trip: a concurrent append waits for our
  // commit. The function runs once per locked row (OFFSET 0 keeps the subquery from being
  // flattened, which would call it once per column).
  const sql = options.lockStream
    ? `WITH locked AS (SELECT 1 FROM emt_streams WHERE stream_id = $6 AND partition = $8 AND NOT is_archived FOR UPDATE)
       SELECT (a.r).success, (a.r).next_stream_position FROM (SELECT ${append} AS r FROM locked OFFSET 0) a`
    : `SELECT success, next_stream_position FROM ${append}`;
  const params = [
    events.map(() => randomUUID()),
    events.map(() => '{}'),
    events.map(() => '1'),
    events.map((e) => e.type),
    events.map(() => 'E'),
    streamName,
    streamType,
    PARTITION,
    ...events.map((e) => e.dataJson ?? JSON.stringify(e.data)),
  ];
  let appended: boolean;
  try {
    type Row = { success: boolean; next_stream_position: string | bigint | null };
    let { rows } = await db.query<Row>(sql, params);
    // No stream row to lock: a stream's first append.
    if (options.lockStream && rows.length === 0) ({ rows } = await db.query<Row>(`SELECT success, next_stream_position FROM ${append}`, params));
    appended = rows[0]?.success === true;
    const next = rows[0]?.next_stream_position;
    if (appended && next !== null && next !== undefined) {
      events.forEach((e, i) => {
        if (typeof e.data === 'object' && e.data !== null) rememberAppended(e.data, streamName, BigInt(next) - BigInt(events.length - 1 - i));
      });
    }
  } catch (error) {
    // A concurrent first append to a new stream: the stream row's primary key refuses the second.
    if ((error as { code?: string }).code === '23505') appended = false;
    else throw error;
  }
  if (!appended) throw new ExpectedVersionConflictError(-1n, NO_CONCURRENCY_CHECK);
  await projectInTransaction(db, projections, events);
}

/** Runs the inline read-model projections over `events`, as Emmett's inline projections do. */
export async function projectInTransaction(db: pg.ClientBase, projections: readonly InlineProjection[], events: readonly RawEvent[]): Promise<void> {
  const asEvents = events.map((e) => ({ type: e.type, data: e.data }) as Event);
  for (const projection of projections) {
    const handled = asEvents.filter((e) => (projection.eventTypes as readonly string[]).includes(e.type));
    if (handled.length > 0) await projection.apply(handled, db);
  }
}

/** BEGIN … COMMIT on one pooled connection; ROLLBACK on any error. `begin` may add statements to BEGIN's round trip. */
export async function inTransaction<T>(pool: pg.Pool, work: (db: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
