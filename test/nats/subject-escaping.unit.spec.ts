import { describe, expect, it } from 'vitest';
import {
  escapeSubjectToken,
  parseRecordSubject,
  recordMessageId,
  recordSubject,
  unescapeSubjectToken,
} from '../../src/consumers/nats/subject.ts';

describe('NATS subject tokens', () => {
  it('leaves ordinary ids readable', () => {
    for (const id of ['cus_NffrFeUfNV2Hib', 'stripe:customer', 'e39875af-cd83-4406-8d46-3b30e0b5b624', '0063t000YourOpportunityId', 'ü-ok_ünïcode']) {
      expect(escapeSubjectToken(id)).toBe(id);
    }
  });

  it('escapes separators, wildcards, whitespace, control characters and % as %XX', () => {
    expect(escapeSubjectToken('a.b')).toBe('a%2Eb');
    expect(escapeSubjectToken('*')).toBe('%2A');
    expect(escapeSubjectToken('>')).toBe('%3E');
    expect(escapeSubjectToken('100%')).toBe('100%25');
    expect(escapeSubjectToken('a b\tc\nd\re')).toBe('a%20b%09c%0Ad%0De');
    expect(escapeSubjectToken('\u0000\u007f')).toBe('%00%7F');
    expect(escapeSubjectToken('no\u00a0break')).toBe('no%C2%A0break');
    expect(escapeSubjectToken('line\u2028sep')).toBe('line%E2%80%A8sep');
    expect(escapeSubjectToken('zero\u200bwidth')).toBe('zero%E2%80%8Bwidth');
    expect(escapeSubjectToken('')).toBe('%');
  });

  it('round-trips every id, including ones that look escaped already', () => {
    const ids = [
      '',
      '%',
      '%25',
      '%2E',
      'a.b.c',
      'sub *>',
      '> *',
      '..',
      ' leading and trailing ',
      'tab\there',
      'ünïcode . with dots',
      'emoji 🎉.x',
      '\u0000\u0001\u001f\u007f',
      'no\u00a0break\u2028\u2029\ufeff',
      'percent%41notescaped',
      'a%2',
    ];
    for (let i = 0; i < 300; i++) {
      ids.push(Array.from({ length: 1 + (i % 12) }, () => String.fromCodePoint([0x25, 0x2e, 0x2a, 0x3e, 0x20, 0x0a, 0x41, 0x7a, 0xe9, 0x1f389, 0x3000][Math.floor(Math.random() * 11)]!)).join(''));
    }
    for (const id of ids) {
      const token = escapeSubjectToken(id);
      expect(token).toMatch(/^[^\s.*>]+$/u);
      expect(unescapeSubjectToken(token)).toBe(id);
    }
  });

  it('builds and parses record subjects and message ids', () => {
    const key = { sync_id: 'e39875af-cd83-4406-8d46-3b30e0b5b624', collection_id: 'stripe:customer', upstream_id: 'cus.1 *' };
    const subject = recordSubject('sequin-records', key);
    expect(subject).toBe('sequin-records.e39875af-cd83-4406-8d46-3b30e0b5b624.stripe:customer.cus%2E1%20%2A');
    expect(parseRecordSubject('sequin-records', subject)).toEqual(key);
    expect(parseRecordSubject('other', subject)).toBeNull();
    expect(recordMessageId({ ...key, updated_idx: 42 })).toBe('e39875af-cd83-4406-8d46-3b30e0b5b624:stripe:customer:cus.1 *:42');
    expect(recordMessageId({ ...key, upstream_id: 'a\r\nb', updated_idx: 7 })).toBe('e39875af-cd83-4406-8d46-3b30e0b5b624:stripe:customer:a%0D%0Ab:7');
  });
});
