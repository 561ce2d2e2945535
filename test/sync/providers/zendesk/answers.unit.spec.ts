import { describe, expect, it } from 'vitest';
import { readZendeskError } from '../../../../src/sync/providers/zendesk/errors.ts';
import { zendeskQuotaPauseMs } from '../../../../src/sync/providers/zendesk/quota.ts';

describe("Zendesk's error bodies", () => {
  it('reads {error, description}, RecordInvalid details, {error: {title, message}} and a bare sentence', () => {
    expect(readZendeskError(404, { error: 'RecordNotFound', description: 'Not found' })).toEqual({ message: 'Not found', code: 'RecordNotFound' });
    expect(readZendeskError(422, { error: 'RecordInvalid', description: 'Record validation errors', details: { description: [{ description: 'Description: cannot be blank', error: 'BlankValue' }] } })).toEqual({
      message: 'Description: cannot be blank',
      code: 'RecordInvalid',
    });
    expect(readZendeskError(403, { error: { title: 'Forbidden', message: 'You do not have access to this page.' } })).toEqual({ message: 'You do not have access to this page.', code: 'Forbidden' });
    expect(readZendeskError(401, { error: "Couldn't authenticate you" })).toEqual({ message: "Couldn't authenticate you", code: 'unauthorized' });
    // A body that is not structured JSON is never echoed (an internal service's or a proxy's page).
    expect(readZendeskError(502, '<html>Bad gateway</html>')).toEqual({ message: 'HTTP 502', code: 'upstream_error' });
  });
});

describe('Zendesk quota headers', () => {
  const headers = (entries: Record<string, string>) => new Headers(entries);

  it('holds requests only when the minute is nearly spent: until ratelimit-reset, else a share of the minute', () => {
    expect(zendeskQuotaPauseMs(headers({ 'X-Rate-Limit': '700', 'X-Rate-Limit-Remaining': '699' }))).toBeNull();
    expect(zendeskQuotaPauseMs(headers({ 'X-Rate-Limit': '700', 'X-Rate-Limit-Remaining': '3' }))).toBeNull();
    expect(zendeskQuotaPauseMs(headers({ 'X-Rate-Limit': '200', 'X-Rate-Limit-Remaining': '2' }))).toBe(300);
    expect(zendeskQuotaPauseMs(headers({ 'X-Rate-Limit': '200', 'X-Rate-Limit-Remaining': '0' }))).toBe(900);
    expect(zendeskQuotaPauseMs(headers({ 'X-Rate-Limit': '200', 'X-Rate-Limit-Remaining': '1', 'ratelimit-reset': '12' }))).toBe(12_000);
  });

  it('ignores answers without the headers', () => {
    expect(zendeskQuotaPauseMs(new Headers())).toBeNull();
    expect(zendeskQuotaPauseMs(headers({ 'X-Rate-Limit-Remaining': 'many' }))).toBeNull();
  });
});
