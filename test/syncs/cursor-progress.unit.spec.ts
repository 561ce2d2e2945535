import { describe, expect, it } from 'vitest';
import { CursorStalledError, stalledPagesAfter } from '../../src/sync/cursor-progress.ts';

describe('cursor progress', () => {
  it('counts the pages in a row that say more follows without moving the cursor', () => {
    expect(stalledPagesAfter(0, 'a', 'a')).toBe(1);
    expect(stalledPagesAfter(1, 'a', 'a')).toBe(2);
    expect(stalledPagesAfter(0, null, null)).toBe(0);
  });

  it('resets when the cursor moves or the listing ends', () => {
    expect(stalledPagesAfter(5, 'a', 'b')).toBe(0);
    expect(stalledPagesAfter(5, 'b', null)).toBe(0);
    expect(stalledPagesAfter(5, null, 'a')).toBe(0);
  });

  it('names the pages and the listing when it stops one', () => {
    const error = new CursorStalledError(1, 'backfill of c');
    expect(error.message).toBe('the cursor did not advance after 1 pages (backfill of c)');
    expect(error.code).toBe('upstream_cursor_stalled');
  });
});
