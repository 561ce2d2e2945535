import type { AppContext } from '../commands/context.ts';
import type { RecordRow } from '../consumers/delivery.ts';

const PAGE = 500;
/** Safety net for changes committed by another process, whose signals this bus does not carry. */
const IDLE_RECHECK_MS = 1_000;

export interface RecordFeedFilter {
  streamId: string;
  syncId: string | null;
  collectionIds: string[] | null;
  afterIdx: bigint;
}

/**
 * Records of a stream in `updated_idx` order after `afterIdx`: first what is stored, then live
 * changes as they commit. Positions are handed out in commit order, so reading "after the last
 * position seen" never skips a change; a record changed twice is seen at its latest version.
 */
export async function* recordFeed(ctx: AppContext, filter: RecordFeedFilter, signal?: AbortSignal): AsyncGenerator<RecordRow> {
  let after = filter.afterIdx;
  let wake: (() => void) | null = null;
  let signalled = false;
  const off = ctx.bus.on('records', (message) => {
    if (message.streamId !== filter.streamId) return;
    signalled = true;
    wake?.();
  });
  try {
    while (!signal?.aborted) {
      signalled = false;
      const { rows } = await ctx.pool.query<RecordRow>(
        `SELECT sync_id, collection_id, upstream_id, updated_idx, data, deleted, upstream_created_at, upstream_updated_at
         FROM records r WHERE r.stream_id = $1 AND r.updated_idx > $2
           AND ($3::uuid IS NULL OR r.sync_id = $3) AND ($4::text[] IS NULL OR r.collection_id = ANY($4))
         ORDER BY r.updated_idx LIMIT $5`,
        [filter.streamId, after.toString(), filter.syncId, filter.collectionIds, PAGE],
      );
      for (const row of rows) {
        after = BigInt(row.updated_idx);
        yield row;
      }
      if (rows.length === PAGE || signalled) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_RECHECK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    off();
  }
}
