import type { MutationItemError, MutationRecord } from '../domain/mutations/events.ts';
import type { Sync } from '../generated/prisma/client.ts';
import type { RecordRow } from '../projections/record-row.ts';
import { presentRecordRow } from '../queries/records.ts';
import { EgressRefusedError } from '../errors.ts';
import { UpstreamAuthError, UpstreamRequestError, type UpstreamObject } from '../sync/providers/provider.ts';
import { upstreamErrorMessage } from '../sync/http/error-cause.ts';
import type { AppContext } from '../app-context.ts';
import { appendRecords } from '../sync/ingest/append-records.ts';
import { storedRecordsSql } from '../sync/ingest/stored-records.ts';

/**
 * Puts what the provider answered to a write into the stream at once (source `mutation`) and
 * returns the record version as it now stands. The answer hashes like the object the next poll
 * brings, so the poll adds no second change.
 */
export async function recordMutationResult(ctx: AppContext, sync: Sync, collectionId: string, object: UpstreamObject): Promise<MutationRecord> {
  const stored = await storedRecord(ctx, sync.id, collectionId, object.upstreamId);
  // A delete retried after its tombstone reached the stream: nothing new happened upstream.
  const alreadyTombstoned = object.deleted && stored?.deleted === true;
  if (!alreadyTombstoned) {
    await appendRecords(ctx, { syncId: sync.id, streamId: sync.streamId, collectionId, source: 'mutation', objects: [object] });
  }
  const current = alreadyTombstoned ? stored : await storedRecord(ctx, sync.id, collectionId, object.upstreamId);
  if (current) return presentRecordRow(current);
  // A delete of an object the stream never held leaves no version in it.
  return {
    sync_id: sync.id,
    collection_id: collectionId,
    upstream_id: object.upstreamId,
    updated_idx: null,
    upstream_created_at: object.upstreamCreatedAt?.toISOString() ?? null,
    upstream_updated_at: object.upstreamUpdatedAt?.toISOString() ?? null,
    deleted: object.deleted,
    data: object.data,
  };
}

/** The stored record, looked up by its primary key whatever the statistics know of the sync (storedRecordsSql). */
async function storedRecord(ctx: AppContext, syncId: string, collectionId: string, upstreamId: string): Promise<RecordRow | null> {
  const { rows } = await ctx.pool.query<RecordRow>(storedRecordsSql('sync_id, collection_id, updated_idx, data, deleted, upstream_created_at, upstream_updated_at'), [
    syncId,
    collectionId,
    [upstreamId],
  ]);
  return rows[0] ?? null;
}

/** A provider failure as an item's error. */
export function toItemError(error: unknown): MutationItemError {
  if (error instanceof EgressRefusedError) return { code: error.code, message: error.message, upstreamStatus: null };
  if (error instanceof UpstreamAuthError) return { code: 'upstream_auth_failed', message: error.message, upstreamStatus: error.status };
  if (error instanceof UpstreamRequestError) return { code: error.code, message: error.message, upstreamStatus: error.status };
  return { code: 'upstream_error', message: upstreamErrorMessage(error), upstreamStatus: null };
}
