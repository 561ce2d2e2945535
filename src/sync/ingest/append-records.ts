import type pg from 'pg';
import type { AppContext } from '../../app-context.ts';
import type { RecordsChanged, RecordVersion } from '../../domain/records/events.ts';
import { changedRecords, type StoredVersion } from '../../domain/records/changed-records.ts';
import { appendEventsInTransaction } from '../../db/raw-append.ts';
import { projectedMaxIdx } from '../../projections/records.ts';
import type { UpstreamObject } from '../providers/provider.ts';
import { eventJson, prepareVersion, type RecordBatch } from './record-versions.ts';
import { storedRecordsSql } from './stored-records.ts';
import { retriedOnVersionConflict } from './version-conflict-retry.ts';
import { inWriteSpan, noteWritten } from './write-span.ts';
import type { Span } from '../../tracing.ts';

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
  return inWriteSpan(batch, batch.objects.length, (span) => appendInSpan(ctx, batch, options, span));
}

async function appendInSpan(ctx: AppContext, batch: RecordBatch, options: AppendOptions, span: Span): Promise<RecordVersion[]> {
  const { changes, maxIdx } = await retriedOnVersionConflict(() => ctx.streamWriteLock.transaction(batch.streamId, async (db) => {
    const prepared = (await withStoredDataOnPartialTombstones(db, batch)).map(prepareVersion);
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
      await appendEventsInTransaction(db, ctx.inlineProjections, `records-${batch.syncId}-${batch.collectionId}`, [{ ...event, dataJson: json }]);
      maxIdx = projectedMaxIdx(event.data) ?? null;
    }
    await options.alsoInTransaction?.(db);
    return { changes, maxIdx };
  }));
  noteWritten(ctx, span, batch.streamId, maxIdx, changes.length);
  if (changes.length > 0) {
    ctx.statistics.noteWrites('records', changes.length);
    ctx.bus.publish({ channel: 'records', streamId: batch.streamId, syncId: batch.syncId, collectionId: batch.collectionId, maxIdx: maxIdx ?? 0n });
  }
  return changes;
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
