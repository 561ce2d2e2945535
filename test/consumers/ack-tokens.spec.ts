import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { batchAckTokenParser, batchAckTokens } from '../../src/consumers/http/ack-tokens.ts';

describe('batch ack tokens', () => {
  it('parse back to their batch, index and nonce, whichever batch the token before named', () => {
    const a = batchAckTokens('42', '123456789');
    const b = batchAckTokens(281474976710655n, (1n << 62n) - 1n);
    const parse = batchAckTokenParser();
    const tokens = [a(0), a(7), b(7), a(4095), b(0), b(1)];
    expect(tokens.map(parse)).toEqual([
      { batchId: '42', index: 0, nonce: '123456789' },
      { batchId: '42', index: 7, nonce: '123456789' },
      { batchId: '281474976710655', index: 7, nonce: String((1n << 62n) - 1n) },
      { batchId: '42', index: 4095, nonce: '123456789' },
      { batchId: '281474976710655', index: 0, nonce: String((1n << 62n) - 1n) },
      { batchId: '281474976710655', index: 1, nonce: String((1n << 62n) - 1n) },
    ]);
  });

  it('takes a token in upper case, and nothing that is not a batch token', () => {
    const token = batchAckTokens('42', '123456789')(10);
    const parse = batchAckTokenParser();
    expect(parse(token.toUpperCase())).toEqual({ batchId: '42', index: 10, nonce: '123456789' });
    expect(parse(randomUUID())).toBeNull();
    expect(parse(`${token.slice(0, 15)}0g0${token.slice(18)}`)).toBeNull();
    expect(parse(token.slice(0, 35))).toBeNull();
    expect(parse(`${token}0`)).toBeNull();
  });
});
