import { describe, expect, it } from 'vitest';
import { decodeIds, encodeIds } from '../../../../src/sync/providers/jira/id-set.ts';
import { advanceUpdates, decodeIssueCursor, encodeIssueCursor } from '../../../../src/sync/providers/jira/issue-cursor.ts';
import { diffListing } from '../../../../src/sync/providers/jira/listing-cursor.ts';
import { jqlMinute, parseJiraTime } from '../../../../src/sync/providers/jira/time.ts';

const at = (iso: string): number => Date.parse(iso);

describe('Jira id sets', () => {
  it('keeps ids as runs and decodes them back', () => {
    const ids = ['10001', '10002', '10003', '10005', '10007', '10008', 'odd'];
    const encoded = encodeIds(ids);
    expect(encoded).toEqual({ runs: '10001-10003,10005,10007-10008', other: ['odd'] });
    expect([...decodeIds(encoded)].sort()).toEqual([...ids].sort());
  });
});

describe('Jira issue changes cursor', () => {
  it('round-trips', () => {
    const cursor = { u: at('2024-11-10T18:38:12.070Z'), seen: { '10001': at('2024-11-10T18:38:12.070Z') }, known: new Set(['10001', '10002']) };
    expect(decodeIssueCursor(encodeIssueCursor(cursor))).toEqual(cursor);
  });

  it('skips (id, updated) pairs already applied in the cursor minute, keeps new versions and later issues', () => {
    const u = at('2024-11-10T18:38:30.000Z');
    const cursor = { u, seen: { a: at('2024-11-10T18:38:10.000Z'), b: u } };
    const listed = [
      { id: 'a', at: at('2024-11-10T18:38:10.000Z'), item: 'a same' },
      { id: 'b', at: at('2024-11-10T18:38:45.000Z'), item: 'b again' },
      { id: 'c', at: at('2024-11-10T18:38:20.000Z'), item: 'c late in the same minute' },
      { id: 'd', at: at('2024-11-10T18:39:05.000Z'), item: 'd next minute' },
      { id: 'e', at: at('2024-11-10T18:37:59.000Z'), item: 'e before the cursor minute' },
    ];
    const next = advanceUpdates(cursor, listed);
    expect(next.fresh.map((f) => f.item)).toEqual(['c late in the same minute', 'b again', 'd next minute']);
    expect(next.u).toBe(at('2024-11-10T18:39:05.000Z'));
    // Only the pairs of the new cursor minute are kept.
    expect(next.seen).toEqual({ d: at('2024-11-10T18:39:05.000Z') });
    expect(advanceUpdates({ u: next.u, seen: next.seen }, listed.slice(3)).fresh).toEqual([]);
  });
});

describe('Jira listing diff', () => {
  it('answers changed items and the ids gone', () => {
    const diff = diffListing({ p1: 'x', p2: 'y' }, [
      { id: 'p1', item: 'p1', fingerprint: 'x' },
      { id: 'p3', item: 'p3', fingerprint: 'z' },
    ]);
    expect(diff).toEqual({ changed: ['p3'], gone: ['p2'], next: { p1: 'x', p3: 'z' } });
  });
});

describe('Jira times', () => {
  it('parses field times and writes JQL minutes in the user\'s zone', () => {
    expect(parseJiraTime('2024-11-10T18:38:00.070+0000')).toBe(at('2024-11-10T18:38:00.070Z'));
    expect(parseJiraTime('2024-11-10T13:38:00.070-0500')).toBe(at('2024-11-10T18:38:00.070Z'));
    expect(jqlMinute(at('2024-11-10T18:38:59.000Z'), 'UTC')).toBe('2024/11/10 18:38');
    expect(jqlMinute(at('2024-11-10T18:38:59.000Z'), 'America/New_York')).toBe('2024/11/10 13:38');
    expect(jqlMinute(at('2024-11-10T18:38:59.000Z'), 'Not/AZone')).toBe('2024/11/10 18:38');
  });
});
