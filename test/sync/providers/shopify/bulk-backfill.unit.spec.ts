import { describe, expect, it } from 'vitest';
import { assemble, decodeBulkCursor } from '../../../../src/sync/providers/shopify/bulk-backfill.ts';
import { QUERIES } from '../../../../src/sync/providers/shopify/queries.ts';

describe("a bulk operation's JSONL result", () => {
  it('puts each nested item under its parent, in order, as {nodes}', () => {
    const jsonl = [
      { id: 'gid://shopify/Order/1', name: '#1001' },
      { id: 'gid://shopify/LineItem/11', title: 'Mug', __parentId: 'gid://shopify/Order/1' },
      { id: 'gid://shopify/LineItem/12', title: 'Poster', __parentId: 'gid://shopify/Order/1' },
      { id: 'gid://shopify/Order/2', name: '#1002' },
    ]
      .map((line) => JSON.stringify(line))
      .join('\n');
    expect(assemble(`${jsonl}\n`, QUERIES['shopify:order'])).toEqual([
      { id: 'gid://shopify/Order/1', name: '#1001', lineItems: { nodes: [{ id: 'gid://shopify/LineItem/11', title: 'Mug' }, { id: 'gid://shopify/LineItem/12', title: 'Poster' }] } },
      { id: 'gid://shopify/Order/2', name: '#1002', lineItems: { nodes: [] } },
    ]);
  });

  it('refuses a line whose parent the result does not have', () => {
    expect(() => assemble('{"id":"gid://shopify/LineItem/1","__parentId":"gid://shopify/Order/9"}', QUERIES['shopify:order'])).toThrow(/parent/);
  });

  it('backfill cursors: none yet, and malformed ones refused', () => {
    expect(decodeBulkCursor(null)).toEqual({ b: null, o: 0, a: null });
    expect(decodeBulkCursor('{"b":"gid://shopify/BulkOperation/1","o":500,"a":null}')).toEqual({ b: 'gid://shopify/BulkOperation/1', o: 500, a: null });
    expect(() => decodeBulkCursor('{"o":"x"}')).toThrow(/malformed/);
  });
});
