import { describe, expect, it } from 'vitest';
import { callLimitPauseMs } from '../../../../src/sync/providers/shopify/call-limit.ts';

const headers = (value: string) => new Headers({ 'X-Shopify-Shop-Api-Call-Limit': value });

describe('Shopify call-limit header', () => {
  it('holds requests only when the bucket is nearly full, longer the fuller it is', () => {
    expect(callLimitPauseMs(headers('1/40'))).toBeNull();
    expect(callLimitPauseMs(headers('37/40'))).toBeNull();
    expect(callLimitPauseMs(headers('38/40'))).toBe(500);
    expect(callLimitPauseMs(headers('40/40'))).toBe(1500);
    expect(callLimitPauseMs(headers('80/80'))).toBe(1500);
  });

  it('ignores answers without the header or with a malformed one', () => {
    expect(callLimitPauseMs(new Headers())).toBeNull();
    expect(callLimitPauseMs(headers('forty'))).toBeNull();
  });
});
