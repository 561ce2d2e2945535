import { createHash } from 'node:crypto';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import type { RecordsChanged, RecordVersion } from '../domain/records/events.ts';
import { changedRecords, type StoredVersion } from '../domain/records/changed-records.ts';
import type { UpstreamObject } from '../sync/providers/provider.ts';
import type { AppContext } from './context.ts';

export interface RecordBatch {
  syncId: string;
  streamId: string;
  collectionId: string;
  source: RecordsChanged['data']['source'];
  objects: readonly UpstreamObject[];
}

export function toRecordVersion(object: UpstreamObject): RecordVersion {
  // Keys sorted: the same object listed, sent in an event or answered to a write hashes the same.
  const json = canonicalJson(object.data) ?? 'null';
  return {
    upstreamId: object.upstreamId,
    data: object.data,
    dataHash: createHash('sha256').update(json).digest('hex'),
    upstreamCreatedAt: object.upstreamCreatedAt?.toISOString() ?? null,
    upstreamUpdatedAt: object.upstreamUpdatedAt?.toISOString() ?? null,
    deleted: object.deleted,
  };
}

/**
 * Appends the real changes of a batch as one `RecordsChanged` event (projected into `records`
 * in the same transaction). Unchanged objects produce nothing. Returns the versions appended.
 */
export async function appendRecords(ctx: AppContext, batch: RecordBatch): Promise<RecordVersion[]> {
  if (batch.objects.length === 0) return [];
  const versions = batch.objects.map(toRecordVersion);
  const changes = await ctx.streamWriteLock.run(batch.streamId, async () => {
    const { rows } = await ctx.pool.query<{ upstream_id: string; data_hash: string; deleted: boolean }>(
      // One primary-key lookup per id. Joined plainly, the planner (with the row estimates of a
      // freshly loaded table) hashes every record of the collection instead; LIMIT keeps it a lookup.
      `SELECT u.id AS upstream_id, r.data_hash, r.deleted FROM unnest($3::text[]) AS u(id)
       CROSS JOIN LATERAL (
         SELECT data_hash, deleted FROM records WHERE sync_id = $1 AND collection_id = $2 AND upstream_id = u.id LIMIT 1
       ) r`,
      [batch.syncId, batch.collectionId, [...new Set(versions.map((v) => v.upstreamId))]],
    );
    const stored = new Map<string, StoredVersion>(rows.map((r) => [r.upstream_id, { dataHash: r.data_hash, deleted: r.deleted }]));
    const changed = changedRecords(versions, stored);
    if (changed.length === 0) return changed;
    const event: RecordsChanged = {
      type: 'RecordsChanged',
      data: { syncId: batch.syncId, streamId: batch.streamId, collectionId: batch.collectionId, source: batch.source, records: changed },
    };
    await ctx.eventStore.appendToStream(`records-${batch.syncId}-${batch.collectionId}`, [event]);
    return changed;
  });
  if (changes.length > 0) {
    ctx.statistics.noteWrites('records', changes.length);
    const head = await ctx.pool.query<{ last_idx: string }>('SELECT last_idx FROM stream_heads WHERE stream_id = $1', [batch.streamId]);
    ctx.bus.publish({
      channel: 'records',
      streamId: batch.streamId,
      syncId: batch.syncId,
      collectionId: batch.collectionId,
      maxIdx: BigInt(head.rows[0]?.last_idx ?? 0),
    });
  }
  return changes;
}
