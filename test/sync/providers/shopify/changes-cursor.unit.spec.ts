import { describe, expect, it } from 'vitest';
import { advanceDeletes, advanceUpdates, decodeChangesCursor, encodeChangesCursor, EVENT_WINDOW_S, updatedSinceTerm, type Changed } from '../../../../src/sync/providers/shopify/changes-cursor.ts';

const obj = (id: string, at: number, version = 'a'): Changed<string> => ({ id, at, fingerprint: `${id}@${version}`, item: `${id}:${version}` });

describe('Shopify changes cursor: updated_at_min with whole seconds', () => {
  it('applies objects of the cursor second once, and those that follow in the same second later', () => {
    const start = { u: 100, seen: {} };
    const first = advanceUpdates(start, [obj('2', 100), obj('1', 100), obj('3', 99)]);
    expect(first.fresh.map((o) => o.id)).toEqual(['1', '2']);
    expect(first.u).toBe(100);
    // The re-read from second 100 lists 1 and 2 again, plus 4 written later in that second.
    const second = advanceUpdates(first, [obj('1', 100), obj('2', 100), obj('4', 100)]);
    expect(second.fresh.map((o) => o.id)).toEqual(['4']);
    const third = advanceUpdates(second, [obj('1', 100), obj('2', 100), obj('4', 100)]);
    expect(third.fresh).toEqual([]);
    expect(third).toMatchObject({ u: 100 });
  });

  it('applies a second edit made within the same second', () => {
    const first = advanceUpdates({ u: 100, seen: {} }, [obj('1', 100, 'a')]);
    expect(advanceUpdates(first, [obj('1', 100, 'b')]).fresh.map((o) => o.item)).toEqual(['1:b']);
  });

  it('moves to the newest second, oldest change first, keeping only that second\'s fingerprints', () => {
    const next = advanceUpdates({ u: 100, seen: { '1': '1@a' } }, [obj('5', 102), obj('1', 100), obj('6', 101), obj('7', 102)]);
    expect(next.fresh.map((o) => o.id)).toEqual(['6', '5', '7']);
    expect(next.u).toBe(102);
    expect(next.seen).toEqual({ '5': '5@a', '7': '7@a' });
  });

  it('stays put when nothing changed', () => {
    expect(advanceUpdates({ u: 100, seen: { '1': 'x' } }, [])).toEqual({ fresh: [], u: 100, seen: { '1': 'x' } });
  });
});

describe('Shopify changes cursor: destroy events', () => {
  const event = (id: string, at: number) => ({ id, at, item: `subject-${id}` });

  it('skips events applied within the look-back window and forgets those older than it', () => {
    const first = advanceDeletes({ e: 1000, ev: [] }, [event('9', 1000), event('8', 990)]);
    expect(first.fresh.map((e) => e.id)).toEqual(['8', '9']);
    // A late event (created earlier than the newest applied) still counts once.
    const second = advanceDeletes(first, [event('9', 1000), event('8', 990), event('7', 995)]);
    expect(second.fresh.map((e) => e.id)).toEqual(['7']);
    const later = advanceDeletes(second, [event('10', 1000 + EVENT_WINDOW_S + 5)]);
    expect(later.e).toBe(1000 + EVENT_WINDOW_S + 5);
    expect(later.ev.map(([id]) => id)).toEqual(['10']);
  });
});

describe('Shopify changes cursor encoding', () => {
  it('round-trips and refuses what is not a cursor', () => {
    const cursor = { u: 1, seen: { '7': 'fp' }, e: 2, ev: [['3', 2]] as Array<[string, number]> };
    expect(decodeChangesCursor(encodeChangesCursor(cursor))).toEqual(cursor);
    expect(() => decodeChangesCursor('{"t":0,"ids":[]}')).toThrow(/malformed/);
  });
});

describe('updatedSinceTerm', () => {
  it("re-reads the cursor's second while writes may still land in it, and only later ones once Shopify's clock is past it", () => {
    expect(updatedSinceTerm({ u: 1_796_650_000 })).toBe("updated_at:>='2026-12-07T13:26:40Z'");
    expect(updatedSinceTerm({ u: 1_796_650_000, t: 1_796_650_004 })).toBe("updated_at:>='2026-12-07T13:26:40Z'");
    expect(updatedSinceTerm({ u: 1_796_650_000, t: 1_796_650_005 })).toBe("updated_at:>'2026-12-07T13:26:40Z'");
  });

  it('keeps the clock through encoding, and reads cursors written before it was kept', () => {
    const cursor = { u: 10, seen: {}, e: 10, ev: [], t: 20 };
    expect(decodeChangesCursor(encodeChangesCursor(cursor))).toEqual(cursor);
    expect(decodeChangesCursor('{"v":1,"u":10,"seen":{},"e":10,"ev":[]}')).toEqual({ u: 10, seen: {}, e: 10, ev: [] });
  });
});
