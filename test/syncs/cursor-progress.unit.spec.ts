import { describe, expect, it } from 'vitest';
import { CursorProgress, CursorStalledError } from '../../src/sync/cursor-progress.ts';

describe('cursor progress', () => {
  it('stops a listing that says more follows without moving its cursor, after the limit', () => {
    const progress = new CursorProgress(3);
    progress.page('c', 'changes', 'a', 'a');
    progress.page('c', 'changes', 'a', 'a');
    expect(() => progress.page('c', 'changes', 'a', 'a')).toThrow(CursorStalledError);
    expect(() => new CursorProgress(1).page('c', 'backfill', 'x', 'x')).toThrow('the cursor did not advance after 1 pages');
  });

  it('resets when the cursor moves or the listing ends, and counts per collection and phase', () => {
    const progress = new CursorProgress(2);
    progress.page('c', 'changes', 'a', 'a');
    progress.page('c', 'changes', 'a', 'b');
    progress.page('c', 'changes', 'b', 'b');
    progress.page('c', 'changes', 'b', null);
    progress.page('c', 'changes', 'b', 'b');
    progress.page('d', 'changes', 'b', 'b');
    expect(() => progress.page('c', 'backfill', 'b', 'b')).not.toThrow();
    expect(() => progress.page('c', 'changes', 'b', 'b')).toThrow(CursorStalledError);
  });
});
