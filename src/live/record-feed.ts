import type { AppContext } from '../app-context.ts';
import type { RecordRow } from '../projections/record-row.ts';
import { streamEventRows, type ChangeEventFilter, type ChangeEventRow } from '../queries/change-events.ts';
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

type PageReader<Row> = (after: bigint) => Promise<{ rows: Row[]; more: boolean }>;

/**
 * Records of a stream in `updated_idx` order after `afterIdx`: first what is stored, then live
 * changes as they commit. Positions are handed out in commit order, so reading "after the last
 * position seen" never skips a change; a record changed twice is seen at its latest version.
 */
export function recordFeed(ctx: AppContext, filter: RecordFeedFilter, signal?: AbortSignal): AsyncGenerator<RecordRow> {
  // Bounded by bytes too: a page of 500 records of 100 KB was 50 MB per subscriber.
  return streamFeed(ctx, filter.streamId, filter.afterIdx, (after) => streamRecordRows(ctx.pool, filter, after, PAGE, ctx.config.SYNCLINE_MAX_ANSWER_BYTES), signal);
}

/** The change events of a stream after `afterIdx`, the same way: every version, each once (docs/DELIVERY.md, "Change events"). */
export function eventFeed(ctx: AppContext, filter: ChangeEventFilter & { afterIdx: bigint }, signal?: AbortSignal): AsyncGenerator<ChangeEventRow> {
  return streamFeed(ctx, filter.streamId, filter.afterIdx, (after) => streamEventRows(ctx.pool, filter, after, PAGE, ctx.config.SYNCLINE_MAX_ANSWER_BYTES), signal);
}

async function* streamFeed<Row extends { updated_idx: string }>(
  ctx: AppContext,
  streamId: string,
  afterIdx: bigint,
  readPage: PageReader<Row>,
  signal?: AbortSignal,
): AsyncGenerator<Row> {
  let after = afterIdx;
  let wake: (() => void) | null = null;
  let signalled = false;
  const off = ctx.bus.on('records', (message) => {
    if (message.streamId !== streamId) return;
    signalled = true;
    wake?.();
  });
  try {
    while (!signal?.aborted) {
      signalled = false;
      const { rows, more } = await readPage(after);
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
