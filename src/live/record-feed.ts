import type { AppContext } from '../app-context.ts';
import type { RecordRow } from '../projections/record-row.ts';
import { streamRecordRows } from '../queries/record-pages.ts';

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
      // Bounded by bytes too: a page of 500 records of 100 KB was 50 MB per subscriber.
      const { rows, more } = await streamRecordRows(ctx.pool, filter, after, PAGE, ctx.config.SYNCLINE_MAX_ANSWER_BYTES);
      for (const row of rows) {
        after = BigInt(row.updated_idx);
        yield row;
      }
      if (more || signalled) continue;
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
