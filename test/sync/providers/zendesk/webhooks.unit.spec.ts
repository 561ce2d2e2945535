import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookMalformedError, type WebhookRequest } from '../../../../src/sync/providers/provider.ts';
import { zendeskProvider } from '../../../../src/sync/providers/zendesk/index.ts';

const webhooks = zendeskProvider.webhooks!;
const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const NOW = new Date('2026-12-07T06:00:00Z');

/** Zendesk's documented scheme, written out here on its own: base64(HMAC-SHA256(secret, timestamp + body)). */
function signed(body: string, options: { secret?: string; timestamp?: string; headers?: Record<string, string> } = {}): WebhookRequest {
  const timestamp = options.timestamp ?? '2026-12-07T05:59:30Z';
  const signature = createHmac('sha256', options.secret ?? SECRET).update(`${timestamp}${body}`, 'utf8').digest('base64');
  return {
    method: 'POST',
    url: 'https://syncline.example.com/v1/webhooks/in/sync',
    headers: new Headers({
      'content-type': 'application/json',
      'x-zendesk-account-id': '9242270',
      'x-zendesk-webhook-id': '01F1KRFQ6BG29CNWFR60NK5FNY',
      'x-zendesk-webhook-invocation-id': '8350205582',
      'x-zendesk-webhook-signature': signature,
      'x-zendesk-webhook-signature-timestamp': timestamp,
      ...options.headers,
    }),
    rawBody: Buffer.from(body, 'utf8'),
  };
}

const event = (type: string, detail: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type, account_id: 9242270, id: 'a540ab78-88f2-49e1-93a7-16152a6f782c', time: '2026-12-07T05:59:29Z', zendesk_event_version: '2022-11-06', subject: `zen:${type.split(':')[2]!.split('.')[0]}:${String(detail.id)}`, detail, event: {}, ...extra });

describe('Zendesk webhook signature', () => {
  const body = event('zen:event-type:user.created', { id: '8834287264507', email: 'ada@example.com' });

  it('accepts a delivery signed with the secret within 5 minutes', () => {
    expect(webhooks.verify(signed(body), SECRET, NOW)).toEqual({ ok: true });
    // Zendesk signs each retry afresh: 4 minutes either side is inside the tolerance.
    expect(webhooks.verify(signed(body, { timestamp: '2026-12-07T06:04:00Z' }), SECRET, NOW)).toEqual({ ok: true });
  });

  it('accepts either secret of a registration of two webhooks', () => {
    const other = 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=';
    expect(webhooks.verify(signed(body, { secret: other }), `${SECRET} ${other}`, NOW)).toEqual({ ok: true });
    expect(webhooks.verify(signed(body), `${SECRET} ${other}`, NOW)).toEqual({ ok: true });
  });

  it('refuses a wrong secret', () => {
    expect(webhooks.verify(signed(body, { secret: 'another-secret' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a delivery without its signature or timestamp header', () => {
    const request = signed(body);
    request.headers.delete('x-zendesk-webhook-signature');
    expect(webhooks.verify(request, SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
    const noTimestamp = signed(body);
    noTimestamp.headers.delete('x-zendesk-webhook-signature-timestamp');
    expect(webhooks.verify(noTimestamp, SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
  });

  it('refuses a tampered body and a changed timestamp', () => {
    const request = signed(body);
    expect(webhooks.verify({ ...request, rawBody: Buffer.from(body.replace('8834287264507', '8834287264508')) }, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    request.headers.set('x-zendesk-webhook-signature-timestamp', '2026-12-07T05:59:31Z');
    expect(webhooks.verify(request, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a correctly signed delivery older or newer than 5 minutes (a replay)', () => {
    expect(webhooks.verify(signed(body, { timestamp: '2026-12-07T05:54:59Z' }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
    expect(webhooks.verify(signed(body, { timestamp: '2026-12-07T06:05:01Z' }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
    expect(webhooks.verify(signed(body, { timestamp: 'yesterday' }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
  });
});

describe('Zendesk webhook payloads', () => {
  const parse = (body: string) => webhooks.parse(signed(body));

  it('turns user and organization events into hints by the id in detail, with the event id as delivery id', () => {
    expect(parse(event('zen:event-type:user.created', { id: '8834287264507' }))).toEqual({
      deliveryId: 'a540ab78-88f2-49e1-93a7-16152a6f782c',
      hints: [{ collectionId: 'zendesk:user', upstreamId: '8834287264507', deleted: false }],
    });
    expect(parse(event('zen:event-type:organization.tags_changed', { id: '6607619104125' })).hints).toEqual([
      { collectionId: 'zendesk:organization', upstreamId: '6607619104125', deleted: false },
    ]);
    expect(parse(event('zen:event-type:ticket.status_changed', { id: '35436', status: 'OPEN' })).hints).toEqual([{ collectionId: 'zendesk:ticket', upstreamId: '35436', deleted: false }]);
  });

  it('flags deletes: deleted organizations and users, deactivated users, soft and permanently deleted tickets', () => {
    const deleted = (body: string) => parse(body).hints.map((h) => h.deleted);
    expect(deleted(event('zen:event-type:organization.deleted', { id: '6607619104125' }))).toEqual([true]);
    expect(deleted(event('zen:event-type:user.deleted', { id: '42' }))).toEqual([true]);
    expect(deleted(event('zen:event-type:user.active_changed', { id: '42' }, { event: { previous: true, current: false } }))).toEqual([true]);
    expect(deleted(event('zen:event-type:user.active_changed', { id: '42' }, { event: { previous: false, current: true } }))).toEqual([false]);
    expect(deleted(event('zen:event-type:ticket.soft_deleted', { id: '35436' }))).toEqual([true]);
    expect(deleted(event('zen:event-type:ticket.permanently_deleted', { id: '35436' }))).toEqual([true]);
    expect(deleted(event('zen:event-type:ticket.undeleted', { id: '35436' }))).toEqual([false]);
  });

  it('reads the id from the subject when detail has none', () => {
    const body = JSON.stringify({ type: 'zen:event-type:user.merged', id: 'e1', subject: 'zen:user:77', detail: {}, event: {} });
    expect(parse(body).hints).toEqual([{ collectionId: 'zendesk:user', upstreamId: '77', deleted: false }]);
  });

  it("turns the ticket trigger's body into a ticket hint, the invocation id as delivery id", () => {
    expect(parse('{"event":"syncline.ticket_changed","ticket_id":"35436"}')).toEqual({
      deliveryId: '8350205582',
      hints: [{ collectionId: 'zendesk:ticket', upstreamId: '35436', deleted: false }],
    });
    expect(parse('{"ticket_id": 35437}').hints).toEqual([{ collectionId: 'zendesk:ticket', upstreamId: '35437', deleted: false }]);
  });

  it('gives no hints for events of what Syncline does not sync, nor for other bodies', () => {
    expect(parse(event('zen:event-type:article.published', { id: '1' })).hints).toEqual([]);
    expect(parse(event('zen:event-type:agent.state_changed', { id: '1' })).hints).toEqual([]);
    expect(parse('{"message":"hello from another trigger"}').hints).toEqual([]);
  });

  it('refuses bodies it cannot read', () => {
    expect(() => parse('not json')).toThrow(WebhookMalformedError);
    expect(() => parse('[1,2]')).toThrow(WebhookMalformedError);
    expect(() => parse('{"ticket_id":"{{ticket.id}}"}')).toThrow(WebhookMalformedError);
    expect(() => parse(JSON.stringify({ type: 'zen:event-type:user.created', id: 'e', detail: {}, event: {} }))).toThrow(WebhookMalformedError);
  });
});
