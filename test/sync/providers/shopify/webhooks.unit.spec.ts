import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookMalformedError, type ProviderCredential, type WebhookRequest } from '../../../../src/sync/providers/provider.ts';
import { shopifyProvider } from '../../../../src/sync/providers/shopify/index.ts';

const webhooks = shopifyProvider.webhooks!;
const SECRET = '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';
const NOW = new Date('2026-12-07T06:00:00Z');

/** Shopify's documented scheme, written here on its own: base64 of HMAC-SHA256(raw body, client secret). */
function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

function request(topic: string, body: string, headers: Record<string, string> = {}): WebhookRequest {
  return {
    method: 'POST',
    url: 'https://syncline.example.com/v1/webhooks/in/3f6c0e4e-7a51-4b1e-9c55-1f1ad1c6e0b1',
    headers: new Headers({
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': sign(body, SECRET),
      'x-shopify-shop-domain': 'acme.myshopify.com',
      'x-shopify-api-version': '2024-10',
      'x-shopify-webhook-id': 'b54557e4-8a5f-4bf7-9d70-bcd043aa1c9e',
      'x-shopify-triggered-at': '2026-12-07T05:59:58.123456789Z',
      'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
      ...headers,
    }),
    rawBody: Buffer.from(body, 'utf8'),
  };
}

const customerBody = JSON.stringify({ id: 7100000000123, email: 'ada@example.com', first_name: 'Ada', updated_at: '2026-12-07T00:59:58-05:00' });

describe('Shopify webhooks: verify', () => {
  it('accepts a body signed with the app secret', () => {
    expect(webhooks.verify(request('customers/update', customerBody), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses a signature made with another secret', () => {
    const forged = request('customers/update', customerBody, { 'x-shopify-hmac-sha256': sign(customerBody, 'shpss_someone_else') });
    expect(webhooks.verify(forged, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a request without X-Shopify-Hmac-Sha256', () => {
    const unsigned = request('customers/update', customerBody);
    unsigned.headers.delete('x-shopify-hmac-sha256');
    expect(webhooks.verify(unsigned, SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
  });

  it('refuses a body changed after signing, even by one byte of whitespace', () => {
    const signed = request('customers/update', customerBody);
    expect(webhooks.verify({ ...signed, rawBody: Buffer.from(customerBody.replace('Ada', 'Eve')) }, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.verify({ ...signed, rawBody: Buffer.from(`${customerBody} `) }, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses signatures that are not the digest: hex instead of base64, truncated, garbage', () => {
    const hex = createHmac('sha256', SECRET).update(customerBody).digest('hex');
    for (const header of [hex, sign(customerBody, SECRET).slice(0, 20), 'not a signature']) {
      expect(webhooks.verify(request('customers/update', customerBody, { 'x-shopify-hmac-sha256': header }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    }
  });

  it('verifies nothing with an empty secret (an empty key would let anyone sign)', () => {
    const signedWithEmpty = request('customers/update', customerBody, { 'x-shopify-hmac-sha256': sign(customerBody, '') });
    expect(webhooks.verify(signedWithEmpty, '', NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('has no timestamp tolerance: Shopify signs no time, so an old X-Shopify-Triggered-At still verifies (the delivery-id dedupe covers replays)', () => {
    const old = request('customers/update', customerBody, { 'x-shopify-triggered-at': '2026-12-01T00:00:00.000Z' });
    expect(webhooks.verify(old, SECRET, NOW)).toEqual({ ok: true });
    expect(webhooks.parse(old).deliveryId).toBe('b54557e4-8a5f-4bf7-9d70-bcd043aa1c9e');
  });
});

describe('Shopify webhooks: parse', () => {
  it('turns the subscribed topics of each collection into hints with the listing\'s upstream id', () => {
    const cases: Array<[string, string, boolean]> = [
      ['customers/create', 'shopify:customer', false],
      ['customers/update', 'shopify:customer', false],
      ['customers/delete', 'shopify:customer', true],
      ['orders/create', 'shopify:order', false],
      ['orders/updated', 'shopify:order', false],
      ['orders/delete', 'shopify:order', true],
      ['orders/cancelled', 'shopify:order', false],
      ['orders/fulfilled', 'shopify:order', false],
      ['orders/paid', 'shopify:order', false],
      ['products/create', 'shopify:product', false],
      ['products/update', 'shopify:product', false],
      ['products/delete', 'shopify:product', true],
    ];
    for (const [topic, collectionId, deleted] of cases) {
      expect(webhooks.parse(request(topic, JSON.stringify({ id: 7100000000456, title: 'x' }))), topic).toEqual({
        deliveryId: 'b54557e4-8a5f-4bf7-9d70-bcd043aa1c9e',
        hints: [{ collectionId, upstreamId: '7100000000456', deleted }],
      });
    }
  });

  it('reads deletes from the little Shopify still sends: {id} (products, orders) or the emptied customer', () => {
    expect(webhooks.parse(request('products/delete', '{"id":7100000000789}')).hints).toEqual([{ collectionId: 'shopify:product', upstreamId: '7100000000789', deleted: true }]);
    // Shopify's sample ids pass 2^53: the hint loses the digits the listing's JSON.parse loses, so both name one record.
    const sample = '{"id":788032119674292922}';
    expect(webhooks.parse(request('products/delete', sample)).hints[0]!.upstreamId).toBe(String((JSON.parse(sample) as { id: number }).id));
    const customer = { id: 706405506930370084, phone: null, addresses: [], tax_exemptions: [], email_marketing_consent: null, sms_marketing_consent: null, admin_graphql_api_id: 'gid://shopify/Customer/706405506930370084' };
    expect(webhooks.parse(request('customers/delete', JSON.stringify(customer))).hints).toEqual([{ collectionId: 'shopify:customer', upstreamId: String(customer.id), deleted: true }]);
  });

  it('gives no hints for topics outside the synced collections, and no delivery id when Shopify sends none', () => {
    for (const topic of ['app/uninstalled', 'shop/update', 'inventory_levels/update', 'collections/update', 'orders/update']) {
      expect(webhooks.parse(request(topic, '{"id":1}')).hints, topic).toEqual([]);
    }
    const withoutId = request('customers/update', customerBody);
    withoutId.headers.delete('x-shopify-webhook-id');
    expect(webhooks.parse(withoutId).deliveryId).toBeNull();
  });

  it('calls a verified body it cannot read malformed: no topic, not JSON, no numeric id', () => {
    const noTopic = request('customers/update', customerBody);
    noTopic.headers.delete('x-shopify-topic');
    expect(() => webhooks.parse(noTopic)).toThrow(WebhookMalformedError);
    for (const body of ['{"id":', '[]', '{"email":"a@b.c"}', '{"id":"abc"}', '{"id":-4}', '{"id":1.5}']) {
      expect(() => webhooks.parse(request('orders/updated', body)), body).toThrow(WebhookMalformedError);
    }
  });
});

describe('Shopify webhooks: the app secret', () => {
  const credential = (oauthApp: ProviderCredential['oauthApp']): ProviderCredential => ({
    kind: 'shopify',
    accessToken: 'shpat_x',
    accessTokenExpiresAt: null,
    refreshToken: null,
    apiBaseUrl: null,
    metadata: { shop: 'acme.myshopify.com' },
    oauthApp,
  });

  it("is the client secret of the credential's app, and unknown without one", () => {
    expect(webhooks.credentialSecret!(credential({ clientId: 'abc', clientSecret: SECRET }))).toBe(SECRET);
    expect(webhooks.credentialSecret!(credential(null))).toBeNull();
  });
});
