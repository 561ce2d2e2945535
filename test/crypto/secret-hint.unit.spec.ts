import { describe, expect, it } from 'vitest';
import { currentHint, currentHints, secretHint } from '../../src/crypto/secret-box.ts';

describe('secret hints', () => {
  it('show nothing of a secret under 12 characters', () => {
    for (const secret of ['', 'a', 'sk_9chars', 'wonderland', '12345678901']) expect(secretHint(secret)).toBe('…');
  });

  it('show the last 4 characters of longer secrets, and never more', () => {
    expect(secretHint('123456789012')).toBe('…9012');
    expect(secretHint('sk_live_51Hq3xVerySecretAccessTokenValue7dc')).toBe('…e7dc');
  });

  it('count characters, not UTF-16 units (an emoji is never cut in half)', () => {
    expect(secretHint('🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑')).toBe('…'); // 11 characters, 22 units
    expect(secretHint('secret-with-🔑🔑')).toBe('…h-🔑🔑');
  });

  it('hide what an earlier version showed (`sk_l…7dc`) and keep current hints', () => {
    expect(currentHint('sk_l…7dc')).toBe('…');
    expect(currentHint('…e7dc')).toBe('…e7dc');
    expect(currentHint('…')).toBe('…');
    expect(currentHints({ access_token: 'sk_l…7dc', refresh_token: '…abcd' })).toEqual({ access_token: '…', refresh_token: '…abcd' });
  });
});
