import * as crypto from 'node:crypto';
import { ExpectedVersionConflictError, isExpectedVersionConflictError, NO_CONCURRENCY_CHECK } from '@event-driven-io/emmett';
import type pg from 'pg';
import { dataTexts } from '../domain/records/canonical-json.ts';
import type { RecordsChanged, RecordVersion } from '../domain/records/events.ts';
import { changedRecords, type StoredVersion } from '../domain/records/changed-records.ts';
import { progressEvent, StaleRunError, type ProgressCommand } from '../domain/syncs/decide.ts';
import { appendEventsInTransaction } from '../db/raw-append.ts';
import { projectedMaxIdx } from '../projections/records.ts';
import { STALE_RUN } from '../projections/syncs.ts';
import { LeaseLostError } from '../sync/leases/sync-leases.ts';
import type { UpstreamObject } from '../sync/providers/provider.ts';
import type { AppContext } from '../app-context.ts';

export interface RecordBatch {
  syncId: string;
  streamId: string;
  collectionId: string;
  source: RecordsChanged['data']['source'];
  objects: readonly UpstreamObject[];
}

/** A version and the JSON text of its data sent to PostgreSQL (DataTexts.jsonb). */
interface PreparedVersion {
  version: RecordVersion;
  json: string;
}

/** One-shot `crypto.hash` (Node ≥ 20.12) spares a Hash object per record; createHash before it. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');

function prepare(object: UpstreamObject): PreparedVersion {
  // The hash is of the keys sorted: the same object listed, sent in an event or answered to a
  // write hashes the same. jsonb keeps no key order, so either text stores the value sent.
  const { canonical, jsonb } = dataTexts(object.data);
  const version: RecordVersion = {
    upstreamId: object.upstreamId,
    data: object.data,
    dataHash: sha256Hex(canonical),
    upstreamCreatedAt: object.upstreamCreatedAt?.toISOString() ?? null,
    upstreamUpdatedAt: object.upstreamUpdatedAt?.toISOString() ?? null,
    deleted: object.deleted,
  };
  return { version, json: jsonb };
}

export function toRecordVersion(object: UpstreamObject): RecordVersion {
  return prepare(object).version;
}

// The event texts below list their keys in jsonb's order (shorter first), as DataTexts.jsonb
// does: PostgreSQL then parses them without sorting each object's keys.

/** A version as JSON text, around the text of its data already made. */
function versionJson(v: RecordVersion, dataJson: string | undefined): string {
  return (
    `{"data":${dataJson ?? JSON.stringify(v.data)},"deleted":${v.deleted},"dataHash":${JSON.stringify(v.dataHash)},"upstreamId":${JSON.stringify(v.upstreamId)},` +
    `"upstreamCreatedAt":${JSON.stringify(v.upstreamCreatedAt)},"upstreamUpdatedAt":${JSON.stringify(v.upstreamUpdatedAt)}}`
  );
}

/** The event's data as JSON text, built around the data texts already made. */
function eventJson(data: Omit<RecordsChanged['data'], 'records'>, changed: readonly RecordVersion[], jsonOf: Map<RecordVersion, string>) {
  return eventDataJson(data, changed.map((v) => versionJson(v, jsonOf.get(v))));
}

function eventDataJson(data: Omit<RecordsChanged['data'], 'records'>, records: readonly string[]): string {
  return `{"source":${JSON.stringify(data.source)},"syncId":${JSON.stringify(data.syncId)},"records":[${records.join(',')}],"streamId":${JSON.stringify(data.streamId)},"collectionId":${JSON.stringify(data.collectionId)}}`;
}

/**
 * The stored records ($1 sync, $2 collection) of the upstream ids $3, one primary-key lookup
 * each: joined plainly, the planner (with the row estimates of a freshly loaded table) hashes
 * every record of the collection instead, and LIMIT keeps it a lookup. The sync's id reaches the
 * planner as a value it cannot see, `(SELECT $1)`: a sync newer than the last ANALYZE of records
 * would be estimated at one record, and records_sync_idx then looks cheaper than the primary key
 * while it reads every record of the sync (migration 0038).
 */
export function storedRecordsSql(columns: string): string {
  return `SELECT u.id AS upstream_id, r.* FROM unnest($3::text[]) AS u(id)
    CROSS JOIN LATERAL (
      SELECT ${columns} FROM records WHERE sync_id = (SELECT $1::uuid) AND collection_id = $2 AND upstream_id = u.id LIMIT 1
    ) r`;
}

export interface AppendOptions {
  /**
   * More writes for the same transaction, after the records (a backfill page's scan rows and
   * checkpoint): the page's records and its checkpoint commit together or not at all.
   */
  alsoInTransaction?: (db: pg.PoolClient) => Promise<void>;
}

/**
 * Appends the real changes of a batch as one `RecordsChanged` event, projected into `records` in
 * the same transaction, which holds the stream's write lock from its start (StreamWriteLock), so
 * the event log's order and `updated_idx` order agree. Unchanged objects produce nothing.
 * Returns the versions appended.
 */
export async function appendRecords(ctx: AppContext, batch: RecordBatch, options: AppendOptions = {}): Promise<RecordVersion[]> {
  if (batch.objects.length === 0 && !options.alsoInTransaction) return [];
  const { changes, maxIdx } = await retriedOnVersionConflict(() => ctx.streamWriteLock.transaction(batch.streamId, async (db) => {
    const prepared = (await withStoredDataOnPartialTombstones(db, batch)).map(prepare);
    const jsonOf = new Map(prepared.map((p) => [p.version, p.json]));
    const versions = prepared.map((p) => p.version);
    let changes: RecordVersion[] = [];
    let maxIdx: bigint | null = null;
    if (versions.length > 0) {
      const { rows } = await db.query<{ upstream_id: string; data_hash: string; deleted: boolean }>(storedRecordsSql('data_hash, deleted'), [
        batch.syncId,
        batch.collectionId,
        [...new Set(versions.map((v) => v.upstreamId))],
      ]);
      const stored = new Map<string, StoredVersion>(rows.map((r) => [r.upstream_id, { dataHash: r.data_hash, deleted: r.deleted }]));
      changes = changedRecords(versions, stored);
    }
    if (changes.length > 0) {
      const head = { syncId: batch.syncId, streamId: batch.streamId, collectionId: batch.collectionId, source: batch.source };
      const event: RecordsChanged = { type: 'RecordsChanged', data: { ...head, records: changes } };
      const json = eventJson(head, changes, jsonOf);
      await appendEventsInTransaction(db, `records-${batch.syncId}-${batch.collectionId}`, [{ ...event, dataJson: json }]);
      maxIdx = projectedMaxIdx(event.data) ?? null;
    }
    await options.alsoInTransaction?.(db);
    return { changes, maxIdx };
  }));
  if (changes.length > 0) {
    ctx.statistics.noteWrites('records', changes.length);
    ctx.bus.publish({ channel: 'records', streamId: batch.streamId, syncId: batch.syncId, collectionId: batch.collectionId, maxIdx: maxIdx ?? 0n });
  }
  return changes;
}

/** A backfill page to write (appendBackfillPages). */
export interface BackfillPageWrite {
  prepared: PreparedBatch;
  /** The page's BackfillPageFetched checkpoint; null on the last page (it waits for the scan's completion). */
  checkpoint: ProgressCommand | null;
}

/** SQLSTATEs raised by syncline_append_backfill_page (migrations 0022, 0023). */
const LEASE_LOST = 'SY001';
const CONCURRENT_APPEND = 'SY003';

/**
 * A batch with its `RecordsChanged` data as JSON text, every version hashed: what
 * `appendBackfillPages` sends. Nothing in it depends on what is stored, so it can be made ahead,
 * while the previous page is being written.
 */
export interface PreparedBatch {
  batch: RecordBatch;
  /** null when the batch has partial tombstones (they need the stored data first: `appendRecords`). */
  eventJson: string | null;
}

export function prepareBatch(batch: RecordBatch): PreparedBatch {
  if (batch.objects.some((o) => o.deleted && o.partialTombstone)) return { batch, eventJson: null };
  const versions = batch.objects.map((o) => {
    const { version, json } = prepare(o);
    return versionJson(version, json);
  });
  const head = { syncId: batch.syncId, streamId: batch.streamId, collectionId: batch.collectionId, source: batch.source };
  return { batch, eventJson: eventDataJson(head, versions) };
}

/**
 * Consecutive backfill pages of one collection in one statement, which is its own transaction
 * (syncline_append_backfill_pages, migration 0023): the stream's advisory lock, the sync lease
 * check, then for each page in order the hash comparison with the stored records, the
 * `RecordsChanged` event of its real changes and its records projection, its scan rows (`seen`:
 * store the pages' ids for the backfill scan) and its checkpoint with its projection — what
 * `appendRecords` with `alsoInTransaction` does per page in eight statements between BEGIN and
 * COMMIT, in the same order and under the same locks, in one round trip and one commit for all
 * of them. Each page's JSON is parsed once by PostgreSQL: the event and the records are built
 * from that value (the event is the page's as sent when every version is a change). All pages
 * commit or none does. Returns the number of versions appended.
 */
export async function appendBackfillPages(ctx: AppContext, pages: readonly BackfillPageWrite[], seen: boolean): Promise<number> {
  const first = pages[0]?.prepared.batch;
  if (!first) return 0;
  if (pages.some((p) => p.prepared.eventJson === null)) throw new Error('appendBackfillPages: partial tombstones need appendRecords');
  const events = `[${pages.map((p) => p.prepared.eventJson).join(',')}]`;
  const checkpoints = JSON.stringify(pages.map((p) => (p.checkpoint ? progressEvent(p.checkpoint).data : null)));
  const { changed, maxIdx } = await retriedOnVersionConflict(() =>
    ctx.streamWriteLock.statement(first.streamId, async (db, lock, fence) => {
      if (fence && fence.syncId !== first.syncId) throw new Error(`lease of sync ${fence.syncId} fences a page of sync ${first.syncId}`);
      try {
        // Unnamed: in embedded mode every connection shares PGlite's one session, where a second
        // connection preparing the same statement name fails ("prepared statement already exists").
        const { rows } = await db.query<{ changed: number; max_idx: string | null }>(
          'SELECT changed, max_idx FROM syncline_append_backfill_pages($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb)',
          [lock.key, lock.lz4, fence?.owner ?? null, fence?.token ?? null, events, seen, checkpoints],
        );
        return { changed: rows[0]?.changed ?? 0, maxIdx: rows[0]?.max_idx ?? null };
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === LEASE_LOST) throw new LeaseLostError(first.syncId);
        if (code === STALE_RUN) throw new StaleRunError(first.syncId);
        if (code === CONCURRENT_APPEND) throw new ExpectedVersionConflictError(-1n, NO_CONCURRENCY_CHECK);
        throw error;
      }
    }),
  );
  if (changed > 0) {
    ctx.statistics.noteWrites('records', changed);
    ctx.bus.publish({ channel: 'records', streamId: first.streamId, syncId: first.syncId, collectionId: first.collectionId, maxIdx: BigInt(maxIdx ?? 0) });
  }
  return changed;
}

/**
 * A checkpoint appended in the page's transaction can meet another collection's checkpoint of
 * the same sync appended through Emmett at that instant; the whole transaction rolled back, so
 * running it again is safe (its changes are recomputed against what is stored).
 */
async function retriedOnVersionConflict<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isExpectedVersionConflictError(error) || attempt >= 5) throw error;
    }
  }
}

/**
 * Tombstones the provider could only name (`partialTombstone`) take the last known data: of an
 * earlier version in the same batch, else of the stored record. One of a record already deleted
 * is dropped (its tombstone has that data); one of a record never seen stays, and changedRecords
 * drops it.
 */
async function withStoredDataOnPartialTombstones(db: pg.ClientBase, batch: RecordBatch): Promise<readonly UpstreamObject[]> {
  const partial = batch.objects.filter((o) => o.deleted && o.partialTombstone);
  if (partial.length === 0) return batch.objects;
  const { rows } = await db.query<{ upstream_id: string; data: Record<string, unknown>; deleted: boolean }>(storedRecordsSql('data, deleted'), [
    batch.syncId,
    batch.collectionId,
    [...new Set(partial.map((o) => o.upstreamId))],
  ]);
  const known = new Map(rows.map((r) => [r.upstream_id, r]));
  return batch.objects.flatMap((object) => {
    const last = known.get(object.upstreamId);
    if (!object.deleted || !object.partialTombstone) {
      known.set(object.upstreamId, { upstream_id: object.upstreamId, data: object.data, deleted: object.deleted });
      return [object];
    }
    if (!last) return [object];
    if (last.deleted) return [];
    known.set(object.upstreamId, { ...last, deleted: true });
    return [{ ...object, data: last.data }];
  });
}

/**
 * Appends a run's checkpoint (`progressEvent`) to the sync's stream inside `db`'s transaction,
 * projected there too; a stale run gets `StaleRunError` from the projection, which rolls the
 * whole transaction back. The stream row is locked first, so this append never loses a race
 * (a concurrent Emmett append waits, then retries on its version conflict). The caller tells
 * live listeners after the commit (`ctx.bus.publish({channel: 'sync', …})`).
 */
export async function appendSyncProgressInTransaction(db: pg.ClientBase, command: ProgressCommand): Promise<void> {
  await appendEventsInTransaction(db, `sync-${command.data.syncId}`, [progressEvent(command)], { lockStream: true });
}
