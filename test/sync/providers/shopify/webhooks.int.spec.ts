import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopifyEmulator, type ShopifyEmulator } from '../../../../src/emulators/shopify/index.ts';
import type { ProviderContext } from '../../../../src/sync/providers/provider.ts';
import { shopifyProvider } from '../../../../src/sync/providers/shopify/index.ts';
import { WebhookInbox } from '../../../support/webhook-inbox.ts';
import { API_VERSION } from '../../../../src/sync/providers/shopify/client.ts';

const webhooks = shopifyProvider.webhooks!;
const ALL = ['shopify:customer', 'shopify:order', 'shopify:product'];

function context(emulator: ShopifyEmulator, clientSecret: string | null = emulator.clientSecret): ProviderContext {
  return {
    credential: {
      kind: 'shopify',
      accessToken: emulator.accessToken,
      accessTokenExpiresAt: null,
      refreshToken: null,
      apiBaseUrl: emulator.url,
      metadata: { shop: emulator.shop },
      oauthApp: clientSecret === null ? null : { clientId: 'syncline-app', clientSecret },
    },
    fetch: globalThis.fetch,
    oauth: null,
  };
}

describe('Shopify webhooks against the emulator', () => {
  let emulator: ShopifyEmulator;
  const inbox = new WebhookInbox('/shopify');

  beforeAll(async () => {
    await inbox.start();
    emulator = await startShopifyEmulator({ seed: { customer: 5, order: 5, product: 5 }, randomSeed: 8, rateLimit: null, webhookRetryDelaysMs: [10, 10] });
  });
  afterAll(async () => {
    await emulator?.close();
    await inbox.close();
  });

  it('registers one subscription per topic through webhookSubscriptionCreate, and a change arrives signed with the app secret', async () => {
    const registered = await webhooks.register!(context(emulator), { url: inbox.url, collectionIds: ALL, previous: null, previousUrl: null });
    expect(registered.secret).toBe(emulator.clientSecret);
    expect(registered.expiresAt).toBeNull();
    const subscriptions = emulator.webhookSubscriptions();
    expect(subscriptions.map((s) => s.topic).sort()).toEqual(
      ['customers/create', 'customers/update', 'customers/delete', 'orders/create', 'orders/updated', 'orders/delete', 'products/create', 'products/update', 'products/delete'].sort(),
    );
    expect(subscriptions.every((s) => s.address === inbox.url && s.format === 'json' && s.api_version === API_VERSION)).toBe(true);
    expect(new Set(registered.externalIds)).toEqual(new Set(subscriptions.map((s) => String(s.id))));

    const [customer] = emulator.objects('customer');
    const session = shopifyProvider.connect(context(emulator));
    await session.mutate('shopify:customer', 'update', { upstreamId: String(customer!.id), data: { note: 'by webhook' }, idempotencyKey: null });
    await emulator.webhooks.settled();
    const arrived = inbox.arrived.at(-1)!;
    const request = { method: 'POST', url: inbox.url, headers: arrived.headers, rawBody: arrived.rawBody };
    expect(webhooks.verify(request, registered.secret, new Date())).toEqual({ ok: true });
    expect(webhooks.parse(request).hints).toEqual([{ collectionId: 'shopify:customer', upstreamId: String(customer!.id), deleted: false }]);
  });

  it('registering again keeps the subscriptions, fewer collections removes the others, unregister removes all (twice is fine)', async () => {
    const first = await webhooks.register!(context(emulator), { url: inbox.url, collectionIds: ALL, previous: null, previousUrl: null });
    const again = await webhooks.register!(context(emulator), { url: inbox.url, collectionIds: ALL, previous: first, previousUrl: inbox.url });
    expect(new Set(again.externalIds)).toEqual(new Set(first.externalIds));
    expect(emulator.webhookSubscriptions()).toHaveLength(9);

    const customersOnly = await webhooks.register!(context(emulator), { url: inbox.url, collectionIds: ['shopify:customer'], previous: again, previousUrl: inbox.url });
    expect(emulator.webhookSubscriptions().map((s) => s.topic).sort()).toEqual(['customers/create', 'customers/delete', 'customers/update']);
    expect(customersOnly.externalIds.every((id) => first.externalIds.includes(id))).toBe(true);

    await webhooks.unregister!(context(emulator), customersOnly);
    expect(emulator.webhookSubscriptions()).toEqual([]);
    await webhooks.unregister!(context(emulator), customersOnly);
  });

  it("registers without the app's client secret on the credential, answering no secret of its own (the sync's signing_secret must be the app's)", async () => {
    const registered = await webhooks.register!(context(emulator, null), { url: inbox.url, collectionIds: ['shopify:product'], previous: null, previousUrl: null });
    expect(registered.secret).toBe('');
    expect(emulator.webhookSubscriptions().map((s) => s.topic).sort()).toEqual(['products/create', 'products/delete', 'products/update']);
    await webhooks.unregister!(context(emulator, null), registered);
    expect(emulator.webhookSubscriptions()).toEqual([]);
  });

  it('fetchObject reads the object by id as the listing has it, and null once it is gone', async () => {
    const session = shopifyProvider.connect(context(emulator));
    for (const [collectionId, kind] of [['shopify:customer', 'customer'], ['shopify:order', 'order'], ['shopify:product', 'product']] as const) {
      const object = emulator.objects(kind)[0]!;
      const found = await session.fetchObject!(collectionId, String(object.id));
      const type = { customer: 'Customer', order: 'Order', product: 'Product' }[kind];
      expect(found).toMatchObject({ upstreamId: String(object.id), data: { id: `gid://shopify/${type}/${String(object.id)}`, legacyResourceId: String(object.id) }, deleted: false });
      // The object as the emulator's GraphQL API shows it, whole.
      const { node } = emulator.graphql(`{ node(id: "gid://shopify/${type}/${String(object.id)}") { ... on ${type} { updatedAt } } }`) as { node: { updatedAt: string } };
      expect(found!.data.updatedAt).toBe(node.updatedAt);
      await session.mutate(collectionId, 'delete', { upstreamId: String(object.id), data: {}, idempotencyKey: null });
      expect(await session.fetchObject!(collectionId, String(object.id))).toBeNull();
    }
    expect(await session.fetchObject!('shopify:customer', 'not-a-number')).toBeNull();
  });
});
