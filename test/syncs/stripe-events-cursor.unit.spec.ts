import { describe, expect, it } from 'vitest';
import { advanceEventsCursor, afterPage, decodeEventsCursor, encodeEventsCursor } from '../../src/sync/providers/stripe/events-cursor.ts';

const event = (id: string, created: number) => ({ id, created });

describe('Stripe events cursor', () => {
  it('returns unseen events oldest first, keeping Stripe order within a second', () => {
    // Stripe lists newest first.
    const feed = [event('e4', 11), event('e3', 10), event('e2', 10), event('e1', 9)];
    const { fresh, cursor } = advanceEventsCursor({ t: 9, ids: ['e1'] }, feed);
    expect(fresh.map((e) => e.id)).toEqual(['e2', 'e3', 'e4']);
    expect(cursor).toEqual({ t: 11, ids: ['e4'] });
  });

  it('skips events of the cursor second already applied and remembers new ones of that second', () => {
    const feed = [event('e3', 10), event('e2', 10)];
    const { fresh, cursor } = advanceEventsCursor({ t: 10, ids: ['e2'] }, feed);
    expect(fresh.map((e) => e.id)).toEqual(['e3']);
    expect(cursor).toEqual({ t: 10, ids: ['e2', 'e3'] });
  });

  it('keeps the cursor when nothing is new', () => {
    const start = { t: 10, ids: ['e2'] };
    expect(advanceEventsCursor(start, [event('e2', 10)])).toEqual({ fresh: [], cursor: start });
  });

  it('after a page, points at its newest event (the next page is the one just newer) and forgets the ids', () => {
    const feed = [event('e4', 11), event('e3', 10), event('e2', 10)];
    const { fresh, cursor } = afterPage({ t: 10, ids: [], last: 'e1' }, feed);
    expect(fresh.map((e) => e.id)).toEqual(['e2', 'e3', 'e4']);
    expect(cursor).toEqual({ t: 11, ids: [], last: 'e4' });
    expect(decodeEventsCursor(encodeEventsCursor(cursor))).toEqual(cursor);
  });

  it('does not move for a page older than the cursor (a feed going backwards)', () => {
    const start = { t: 100, ids: [], last: 'e100' };
    expect(afterPage(start, [event('e99', 99), event('e98', 98)])).toEqual({ fresh: [], cursor: start });
    expect(afterPage(start, [])).toEqual({ fresh: [], cursor: start });
  });

  it('reads cursors written before `last` existed', () => {
    expect(decodeEventsCursor('{"t":5,"ids":["a"]}')).toEqual({ t: 5, ids: ['a'] });
  });
});
