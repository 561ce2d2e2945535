import { describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { WebhookMalformedError, type WebhookRequest } from '../../../../src/sync/providers/provider.ts';
import { stripeProvider } from '../../../../src/sync/providers/stripe/index.ts';
import { enabledEventsFor } from '../../../../src/sync/providers/stripe/webhooks.ts';

const webhooks = stripeProvider.webhooks!;
const SECRET = 'whsec_test_unit_secret_0123456789';
const NOW = new Date('2026-12-07T06:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

function event(type: string, object: Record<string, unknown>, id = 'evt_1Qunit000000000000000000'): string {
  // Pretty-printed, as Stripe sends it: the signature covers these exact bytes.
  return JSON.stringify(
    { id, object: 'event', api_version: '2024-06-20', created: nowSeconds, data: { object }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type },
    null,
    2,
  );
}

function request(body: string, headers: Record<string, string> = {}): WebhookRequest {
  return { method: 'POST', url: 'https://syncline.example.com/v1/webhooks/in/sync', headers: new Headers(headers), rawBody: Buffer.from(body, 'utf8') };
}

function signed(body: string, options: { secret?: string; timestamp?: number } = {}): WebhookRequest {
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? SECRET, timestamp: options.timestamp ?? nowSeconds });
  return request(body, { 'Stripe-Signature': header });
}

describe('Stripe webhook verification (Stripe-Signature, the official SDK)', () => {
  const body = event('customer.updated', { id: 'cus_Q1', object: 'customer', name: 'Ada' });

  it('accepts a body signed with the endpoint secret', () => {
    expect(webhooks.verify(signed(body), SECRET, NOW)).toEqual({ ok: true });
  });

  it('accepts a header carrying several v1 signatures when one matches (a secret being rolled)', () => {
    const good = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowSeconds });
    const other = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_old', timestamp: nowSeconds });
    const v1 = (header: string) => header.split(',').find((part) => part.startsWith('v1='))!;
    const header = `t=${nowSeconds},${v1(other)},${v1(good)}`;
    expect(webhooks.verify(request(body, { 'Stripe-Signature': header }), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses a body signed with another secret', () => {
    expect(webhooks.verify(signed(body, { secret: 'whsec_someone_else' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a request without Stripe-Signature, or with an empty one', () => {
    expect(webhooks.verify(request(body), SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
    expect(webhooks.verify(request(body, { 'Stripe-Signature': ' ' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
  });

  it('refuses a header that is not t=…,v1=…', () => {
    expect(webhooks.verify(request(body, { 'Stripe-Signature': 'sha256=abc' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.verify(request(body, { 'Stripe-Signature': `t=${nowSeconds}` }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a tampered body (one byte changed after signing)', () => {
    const original = signed(body);
    const tampered = { ...original, rawBody: Buffer.from(body.replace('"Ada"', '"Eve"'), 'utf8') };
    expect(webhooks.verify(tampered, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a signature older than the 5-minute tolerance (a replay), accepts one just inside it', () => {
    expect(webhooks.verify(signed(body, { timestamp: nowSeconds - 301 }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
    expect(webhooks.verify(signed(body, { timestamp: nowSeconds - 299 }), SECRET, NOW)).toEqual({ ok: true });
  });

  it('says invalid, not outside tolerance, for an old signature made with another secret', () => {
    expect(webhooks.verify(signed(body, { secret: 'whsec_other', timestamp: nowSeconds - 3600 }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });
});

describe('Stripe webhook parsing (events → hints)', () => {
  const parse = (body: string) => webhooks.parse(request(body));

  it('turns a change event into one hint for its object, the event id as delivery id', () => {
    expect(parse(event('customer.updated', { id: 'cus_Q1', object: 'customer' }, 'evt_A'))).toEqual({
      deliveryId: 'evt_A',
      hints: [{ collectionId: 'stripe:customer', upstreamId: 'cus_Q1', deleted: false }],
    });
    expect(parse(event('invoice.paid', { id: 'in_1', object: 'invoice' })).hints).toEqual([{ collectionId: 'stripe:invoice', upstreamId: 'in_1', deleted: false }]);
    expect(parse(event('charge.refunded', { id: 'ch_1', object: 'charge' })).hints).toEqual([{ collectionId: 'stripe:charge', upstreamId: 'ch_1', deleted: false }]);
    expect(parse(event('price.created', { id: 'price_1', object: 'price' })).hints).toEqual([{ collectionId: 'stripe:price', upstreamId: 'price_1', deleted: false }]);
    expect(parse(event('customer.subscription.paused', { id: 'sub_1', object: 'subscription' })).hints).toEqual([{ collectionId: 'stripe:subscription', upstreamId: 'sub_1', deleted: false }]);
  });

  it('flags *.deleted as deletes, but not customer.subscription.deleted (a canceled subscription still exists)', () => {
    expect(parse(event('customer.deleted', { id: 'cus_Q1', object: 'customer' })).hints).toEqual([{ collectionId: 'stripe:customer', upstreamId: 'cus_Q1', deleted: true }]);
    expect(parse(event('product.deleted', { id: 'prod_1', object: 'product' })).hints).toEqual([{ collectionId: 'stripe:product', upstreamId: 'prod_1', deleted: true }]);
    expect(parse(event('invoice.deleted', { id: 'in_1', object: 'invoice' })).hints).toEqual([{ collectionId: 'stripe:invoice', upstreamId: 'in_1', deleted: true }]);
    expect(parse(event('customer.subscription.deleted', { id: 'sub_1', object: 'subscription' })).hints).toEqual([{ collectionId: 'stripe:subscription', upstreamId: 'sub_1', deleted: false }]);
  });

  it('gives no hints for event types of objects it does not sync (still a delivery id)', () => {
    expect(parse(event('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' }, 'evt_B'))).toEqual({ deliveryId: 'evt_B', hints: [] });
    expect(parse(event('customer.discount.created', { id: 'di_1', object: 'discount' })).hints).toEqual([]);
    expect(parse(JSON.stringify({ id: 'evt_C', object: 'event', type: 'balance.available', data: {} })).hints).toEqual([]);
  });

  it('throws WebhookMalformedError for bodies that are not events', () => {
    expect(() => parse('not json')).toThrow(WebhookMalformedError);
    expect(() => parse('[]')).toThrow(WebhookMalformedError);
    expect(() => parse(JSON.stringify({ object: 'event', type: 'customer.updated', data: { object: { id: 'cus_1' } } }))).toThrow(WebhookMalformedError);
    expect(() => parse(JSON.stringify({ id: 'evt_D', object: 'event', type: 'customer.updated', data: {} }))).toThrow(WebhookMalformedError);
    expect(() => parse(JSON.stringify({ id: 'evt_E', object: 'event', type: 'customer.updated', data: { object: { id: 42 } } }))).toThrow(WebhookMalformedError);
  });
});

describe('Stripe webhook subscription', () => {
  it('subscribes an endpoint to exactly the event types the polling reads for the collections', () => {
    const events = enabledEventsFor(['stripe:customer', 'stripe:subscription']);
    expect(events).toContain('customer.updated');
    expect(events).toContain('customer.deleted');
    expect(events).toContain('customer.subscription.trial_will_end');
    expect(events).not.toContain('invoice.paid');
    expect(new Set(events).size).toBe(events.length);
  });
});
