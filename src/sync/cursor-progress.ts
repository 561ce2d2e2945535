/**
 * A listing whose cursor does not move is stopped (issue 21: a feed answering `has_more: true`
 * for ever). Every page that says more follows is checked (collection-step.ts): a backfill page
 * whose next cursor is the one it was read with, or a changes page with `hasMore` and the cursor
 * it was asked with, counts as a page without progress; STALLED_PAGES_LIMIT of them in a row stop
 * the sync.
 * Pages are never gathered (each is written, and its cursor stored, before the next is read), so
 * memory stays bounded whatever the upstream answers; this only stops the useless work.
 */

/** Consecutive pages without progress after which the sync is stopped. */
export const STALLED_PAGES_LIMIT = 20;

/**
 * Not retried: the upstream's listing goes nowhere. The sync runner puts the sync in `error`
 * (`upstream_cursor_stalled`) and stops its run until the sync is resumed or updated.
 */
export class CursorStalledError extends Error {
  readonly code = 'upstream_cursor_stalled';

  constructor(pages: number, what: string) {
    super(`the cursor did not advance after ${pages} pages (${what})`);
    this.name = 'CursorStalledError';
  }
}

/**
 * Pages without progress in a row, after one read at `before` that answered `after` (null: the
 * listing is complete, or nothing more is available now); the count so far is `stalled`.
 */
export function stalledPagesAfter(stalled: number, before: string | null, after: string | null): number {
  return after === null || after !== before ? 0 : stalled + 1;
}
