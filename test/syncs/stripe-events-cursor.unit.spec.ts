import { describe, expect, it } from 'vitest';
import { advanceEventsCursor } from '../../src/sync/providers/stripe/events-cursor.ts';

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
});
