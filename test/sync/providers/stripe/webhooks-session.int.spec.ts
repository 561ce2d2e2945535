import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../../../src/emulators/stripe/index.ts';
import type { ProviderContext, ProviderSession } from '../../../../src/sync/providers/provider.ts';
import { stripeProvider } from '../../../../src/sync/providers/stripe/index.ts';
import { enabledEventsFor } from '../../../../src/sync/providers/stripe/webhooks.ts';

function context(emulator: StripeEmulator): ProviderContext {
  return {
    credential: { kind: 'stripe', accessToken: emulator.apiKey, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
    fetch: globalThis.fetch,
    oauth: null,
  };
}

describe('Stripe provider webhooks against the emulator', () => {
  let emulator: StripeEmulator;
  let session: ProviderSession;
  const webhooks = stripeProvider.webhooks!;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 30, product: 5, price: 5, subscription: 5, invoice: 5, charge: 5 }, randomSeed: 17 });
    session = stripeProvider.connect(context(emulator));
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('fetchObject answers each collection\'s object exactly as its listing does', async () => {
    for (const collectionId of ['stripe:customer', 'stripe:product', 'stripe:price', 'stripe:subscription', 'stripe:invoice', 'stripe:charge']) {
      const first = (await session.listPage(collectionId, null)).objects[0]!;
      const fetched = await session.fetchObject!(collectionId, first.upstreamId);
      expect(fetched).toEqual({ ...first });
    }
  });

  it('fetchObject answers null for a deleted customer (Stripe answers its deleted stub), a deleted product (404) and an unknown id', async () => {
    const customer = emulator.objects('customer')[1]!.id as string;
    await fetch(`${emulator.url}/v1/customers/${customer}`, { method: 'DELETE', headers: { Authorization: `Bearer ${emulator.apiKey}` } });
    const stub = await fetch(`${emulator.url}/v1/customers/${customer}`, { headers: { Authorization: `Bearer ${emulator.apiKey}` } });
    expect(await stub.json()).toEqual({ id: customer, object: 'customer', deleted: true });
    expect(await session.fetchObject!('stripe:customer', customer)).toBeNull();

    const product = await fetch(`${emulator.url}/v1/products`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${emulator.apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=Gone+soon',
    }).then((r) => r.json() as Promise<{ id: string }>);
    await fetch(`${emulator.url}/v1/products/${product.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${emulator.apiKey}` } });
    expect(await session.fetchObject!('stripe:product', product.id)).toBeNull();

    expect(await session.fetchObject!('stripe:invoice', 'in_doesnotexist')).toBeNull();
  });

  it('registers an endpoint for the collections\' event types, renews it in place, makes it again when gone, and removes it', async () => {
    const url = 'http://127.0.0.1:9/v1/webhooks/in/sync-1';
    const registered = await webhooks.register!(context(emulator), { url, collectionIds: ['stripe:customer'], previous: null, previousUrl: null });
    expect(registered.externalIds).toHaveLength(1);
    expect(registered.expiresAt).toBeNull();
    let [endpoint] = emulator.webhookEndpoints();
    expect(endpoint).toMatchObject({ id: registered.externalIds[0], url, secret: registered.secret, events: enabledEventsFor(['stripe:customer']), status: 'enabled' });

    const renewed = await webhooks.register!(context(emulator), { url: `${url}-moved`, collectionIds: ['stripe:customer', 'stripe:invoice'], previous: registered, previousUrl: url });
    expect(renewed).toEqual({ ...registered, externalIds: registered.externalIds });
    [endpoint] = emulator.webhookEndpoints();
    expect(endpoint).toMatchObject({ id: registered.externalIds[0], url: `${url}-moved`, events: enabledEventsFor(['stripe:customer', 'stripe:invoice']) });

    await webhooks.unregister!(context(emulator), renewed);
    expect(emulator.webhookEndpoints()).toEqual([]);
    // Removing what is already gone is not an error.
    await webhooks.unregister!(context(emulator), renewed);

    const again = await webhooks.register!(context(emulator), { url, collectionIds: ['stripe:customer'], previous: renewed, previousUrl: `${url}-moved` });
    expect(again.externalIds[0]).not.toBe(renewed.externalIds[0]);
    expect(again.secret).not.toBe(renewed.secret);
    expect(emulator.webhookEndpoints().map((e) => [e.id, e.secret])).toEqual([[again.externalIds[0], again.secret]]);
    await webhooks.unregister!(context(emulator), again);
  });
});
