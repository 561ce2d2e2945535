/**
 * A listing whose cursor does not move is stopped (issue 21: a feed answering `has_more: true`
 * for ever). The runner checks every page that says more follows: a backfill page whose next
 * cursor is the one it was read with, or a changes page with `hasMore` and the cursor it was asked
 * with, counts as a page without progress; STALLED_PAGES_LIMIT of them in a row stop the sync.
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

export class CursorProgress {
  private readonly stalled = new Map<string, number>();

  constructor(private readonly limit = STALLED_PAGES_LIMIT) {}

  /**
   * After a page of `collectionId`'s `phase` read at `before` that answered `after` (null: the
   * listing is complete, or nothing more is available now). Throws CursorStalledError on the
   * `limit`th page in a row that says more follows without moving the cursor.
   */
  page(collectionId: string, phase: 'backfill' | 'changes', before: string | null, after: string | null): void {
    const key = `${phase}:${collectionId}`;
    if (after === null || after !== before) {
      this.stalled.delete(key);
      return;
    }
    const pages = (this.stalled.get(key) ?? 0) + 1;
    this.stalled.set(key, pages);
    if (pages >= this.limit) {
      this.stalled.delete(key);
      throw new CursorStalledError(pages, `${phase} of ${collectionId}: the upstream keeps saying more follows`);
    }
  }
}
