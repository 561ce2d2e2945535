import { describe, expect, it } from 'vitest';
import { advanceTimeCursor, decodeChangesCursor, encodeChangesCursor, fingerprint, type Exported } from '../../../../src/sync/providers/zendesk/changes-cursor.ts';

const org = (id: number, at: number, name = 'a'): Exported<Record<string, unknown>> => ({ id: String(id), at, item: { id, name } });

describe('Zendesk time-based export cursor (organizations)', () => {
  it('skips the objects of the end_time second it applied, and applies one that changed again within it', () => {
    const first = advanceTimeCursor({ t: 100, seen: {} }, [org(1, 100), org(2, 105), org(3, 105)], 105, true);
    expect(first.fresh.map((o) => o.id)).toEqual(['1', '2', '3']);
    expect(first).toMatchObject({ t: 105, seen: { '2': fingerprint({ id: 2, name: 'a' }), '3': fingerprint({ id: 3, name: 'a' }) } });
    // The next page starts at end_time inclusive: 2 and 3 come again, 3 edited in the same second.
    const second = advanceTimeCursor(first, [org(2, 105), org(3, 105, 'b')], 105, true);
    expect(second.fresh.map((o) => o.item)).toEqual([{ id: 3, name: 'b' }]);
    expect(advanceTimeCursor(second, [org(2, 105), org(3, 105, 'b')], 105, true).fresh).toEqual([]);
  });

  it('moves one second on when a page that is not the last ends in its own start second', () => {
    const stuck = advanceTimeCursor({ t: 100, seen: {} }, [org(1, 100), org(2, 100)], 100, false);
    expect(stuck).toMatchObject({ t: 101, seen: {} });
  });

  it('stays put when nothing changed', () => {
    expect(advanceTimeCursor({ t: 100, seen: { '1': 'x' } }, [], 100, true)).toEqual({ fresh: [], t: 100, seen: { '1': 'x' } });
  });
});

describe('Zendesk changes cursor encoding', () => {
  it('round-trips its three states and refuses what is not a cursor', () => {
    for (const cursor of [{ s: 1_700_000_000 }, { c: 'MTU3NjYxMzUzOS4wfHw0Njd8' }, { t: 5, seen: { '7': 'fp' } }]) {
      expect(decodeChangesCursor(encodeChangesCursor(cursor))).toEqual(cursor);
    }
    expect(() => decodeChangesCursor('MTU3NjYxMzUzOS4wfHw0Njd8')).toThrow(/malformed/);
    expect(() => decodeChangesCursor('{"v":2,"c":"x"}')).toThrow(/malformed/);
  });
});
