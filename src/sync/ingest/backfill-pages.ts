import { ExpectedVersionConflictError, NO_CONCURRENCY_CHECK } from '@event-driven-io/emmett';
import type { AppContext } from '../../app-context.ts';
import { progressEvent, StaleRunError, type ProgressCommand } from '../../domain/syncs/decide.ts';
import { STALE_RUN } from '../../projections/syncs.ts';
import { LeaseLostError } from '../leases/sync-leases.ts';
import { eventDataJson, prepareVersion, versionJson, type RecordBatch } from './record-versions.ts';
import { retriedOnVersionConflict } from './version-conflict-retry.ts';
import { inWriteSpan, noteWritten } from './write-span.ts';
import type { Span } from '../../tracing.ts';

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
    const { version, json } = prepareVersion(o);
    return versionJson(version, json);
  });
  const head = { syncId: batch.syncId, streamId: batch.streamId, collectionId: batch.collectionId, source: batch.source };
  return { batch, eventJson: eventDataJson(head, versions) };
}

/**
 * Consecutive backfill pages of one collection in one statement, which is its own transaction
 * (`syncline_append_backfill_pages`, prisma/functions/): the stream's advisory lock, the sync lease
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
  const objects = pages.reduce((sum, p) => sum + p.prepared.batch.objects.length, 0);
  return inWriteSpan(first, objects, (span) => appendPagesInSpan(ctx, pages, seen, first, span));
}

async function appendPagesInSpan(ctx: AppContext, pages: readonly BackfillPageWrite[], seen: boolean, first: RecordBatch, span: Span): Promise<number> {
  span.setAttribute('syncline.records.pages', pages.length);
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
  noteWritten(ctx, span, first.streamId, maxIdx === null ? null : BigInt(maxIdx), changed);
  if (changed > 0) {
    ctx.statistics.noteWrites('records', changed);
    ctx.bus.publish({ channel: 'records', streamId: first.streamId, syncId: first.syncId, collectionId: first.collectionId, maxIdx: BigInt(maxIdx ?? 0) });
  }
  return changed;
}
