import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { batchId } from '../../src/consumers/sinks/batch-id.ts';

/** The id as first defined (every key through JSON.stringify): ids already sent must not change. */
function definedId(consumerId: string, rows: { sync_id: string; collection_id: string; upstream_id: string; updated_idx: string }[]): string {
  let keys = consumerId;
  for (const row of rows) keys += `\n${JSON.stringify([row.sync_id, row.collection_id, row.upstream_id])}@${row.updated_idx}`;
  return `msg_${createHash('sha256').update(keys, 'utf8').digest('base64url')}`;
}

describe('batchId', () => {
  const consumerId = '0f6b1c9e-2d2a-4c7e-9a51-3f1f4f0d2b10';
  const key = (upstream_id: string, updated_idx = '7') => ({ sync_id: '6a0c2d3e-1b4f-4a9e-8c7d-5e6f7a8b9c0d', collection_id: 'stripe:customer', upstream_id, updated_idx });

  it('is the same id as every key through JSON.stringify, for plain and for escaped ids', () => {
    const ids = ['cus_1', 'a"b', 'back\\slash', 'line\nbreak', 'tab\t', '\u0000nul', 'é ü 日本', 'emoji 😀', 'lone \ud800 high', 'lone \udc00 low', '\u2028sep', ''];
    for (const id of ids) expect(batchId(consumerId, [key(id)])).toBe(definedId(consumerId, [key(id)]));
    const many = ids.map((id, i) => key(id, String(i + 1)));
    expect(batchId(consumerId, many)).toBe(definedId(consumerId, many));
  });

  it('differs when a key or a version differs, and names a batch only by its records', () => {
    expect(batchId(consumerId, [key('cus_1')])).not.toBe(batchId(consumerId, [key('cus_1', '8')]));
    expect(batchId(consumerId, [key('cus_1'), key('cus_2')])).not.toBe(batchId(consumerId, [key('cus_2'), key('cus_1')]));
    expect(batchId(consumerId, [key('a","b')])).not.toBe(batchId(consumerId, [key('a'), key('b')]));
    expect(batchId(consumerId, [key('cus_1')])).toMatch(/^msg_[A-Za-z0-9_-]{43}$/);
  });
});
