import { describe, expect, it } from 'vitest';
import { withCollectionWrite } from '../../src/sync/collection-locks.ts';
import { PageReadAhead } from '../../src/sync/page-read-ahead.ts';

interface Listed {
  cursor: string;
  nextCursor: string | null;
}

/** Pages p1 → p2 → … → p<last>, each answered when the test says so. */
function pages(last: number) {
  const pending = new Map<string, () => void>();
  const listed: string[] = [];
  const reader = {
    list: (_collectionId: string, cursor: string) =>
      new Promise<Listed>((resolve) => {
        listed.push(cursor);
        const n = Number(cursor.slice(1));
        pending.set(cursor, () => resolve({ cursor, nextCursor: n < last ? `p${n + 1}` : null }));
      }),
    nextCursor: (l: Listed) => l.nextCursor,
    prepare: (_collectionId: string, l: Listed) => l.cursor,
  };
  const answer = async (cursor: string) => {
    pending.get(cursor)!();
    pending.delete(cursor);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  };
  return { reader, listed, answer };
}

const all = () => true;

describe('PageReadAhead', () => {
  it('holds at most `maxWeight` of pages read ahead: heavy pages are read one at a time', async () => {
    const { reader, listed, answer } = pages(10);
    // Every page weighs 3: with room for 5, reading stops once two are held, until they are taken.
    const ahead = new PageReadAhead('sync-w', 4, { ...reader, weight: () => 3 }, 5);
    ahead.start('c', 'p1');
    await answer('p1');
    await answer('p2');
    expect(listed).toEqual(['p1', 'p2']);
    expect(await ahead.take('c', 'p1', 4, all)).toEqual(['p1', 'p2']);
    expect(listed).toEqual(['p1', 'p2', 'p3']);
  });

  it('reads up to `depth` pages ahead and hands over every page ready at once', async () => {
    const { reader, listed, answer } = pages(10);
    const ahead = new PageReadAhead('sync-a', 3, reader);
    ahead.start('c', 'p1');
    await answer('p1');
    await answer('p2');
    await answer('p3');
    expect(listed).toEqual(['p1', 'p2', 'p3']); // the fourth waits for room
    expect(await ahead.take('c', 'p1', 3, all)).toEqual(['p1', 'p2', 'p3']);
    expect(listed).toEqual(['p1', 'p2', 'p3', 'p4']);
    const next = ahead.take('c', 'p4', 3, all)!;
    await answer('p4');
    expect(await next).toEqual(['p4']); // the writer kept up: one page
  });

  it('stops joining at a page that cannot join, which comes first next time', async () => {
    const { reader, answer } = pages(10);
    const ahead = new PageReadAhead('sync-b', 4, reader);
    ahead.start('c', 'p1');
    for (const p of ['p1', 'p2', 'p3', 'p4']) await answer(p);
    expect(await ahead.take('c', 'p1', 4, (p) => p !== 'p3')).toEqual(['p1', 'p2']);
    expect(await ahead.take('c', 'p3', 4, (p) => p !== 'p3')).toEqual(['p3']);
    expect(await ahead.take('c', 'p4', 4, all)).toEqual(['p4']);
  });

  it('drops what was read before or while the collection was written upstream', async () => {
    const { reader, answer } = pages(10);
    const ahead = new PageReadAhead('sync-c', 4, reader);
    ahead.start('c', 'p1');
    await answer('p1');
    await withCollectionWrite('sync-c', 'c', async () => undefined);
    expect(ahead.take('c', 'p1', 4, all)).toBeNull();
    // read while the mutation runs (the read ahead does not wait for the lock): its answer may predate the mutation's result
    await withCollectionWrite('sync-c', 'c', async () => {
      ahead.start('c', 'p1');
      await answer('p1');
    });
    expect(ahead.take('c', 'p1', 4, all)).toBeNull();
    ahead.start('c', 'p1');
    await answer('p1');
    expect(await ahead.take('c', 'p1', 4, all)).toEqual(['p1']);
  });

  it('is used only from the cursor it was read at', async () => {
    const { reader, answer } = pages(10);
    const ahead = new PageReadAhead('sync-d', 2, reader);
    ahead.start('c', 'p1');
    await answer('p1');
    expect(ahead.take('c', 'p2', 2, all)).toBeNull();
    expect(ahead.take('c', 'p1', 2, all)).toBeNull(); // dropped by the miss
  });
});
