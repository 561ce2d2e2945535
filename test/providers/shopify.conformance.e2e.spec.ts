import { randomUUID } from 'node:crypto';
import { startShopifyEmulator, type ShopifyEmulator } from '../../src/emulators/shopify/index.ts';
import { shopifyWebhookHeaders } from '../../src/emulators/shopify/webhook-deliveries.ts';
import { describeConformance } from './conformance/conformance.ts';

const SHOP = 'syncline-test.myshopify.com';

let picked = 0;

/** A customer the emulator still has (the suite's other steps delete some), another one each time. */
function someCustomerId(emulator: ShopifyEmulator): string {
  const customers = emulator.objects('customer');
  if (customers.length === 0) throw new Error('the Shopify emulator has no customer left');
  return String(customers[picked++ % customers.length]!.id);
}

describeConformance<ShopifyEmulator>({
  provider: 'shopify',
  collections: ['shopify:customer', 'shopify:order', 'shopify:product'],
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startShopifyEmulator({
      seed: { customer: objects, order: objects, product: Math.ceil(objects / 3) },
      randomSeed,
      apiKey: 'shpat_conformance',
      shop: SHOP,
      // The suite's sync runs faster than a standard shop allows; it sets the limit it checks.
      rateLimit: rateLimit ?? null,
    }),
  // Shopify signs webhooks with the app's client secret: the credential carries the app as its OAuth app.
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'shopify', client_id: 'syncline-conformance-app', client_secret: emulator.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'shopify', access_token: emulator.accessToken, oauth_app_id: app.body.id, metadata: { shop: SHOP }, api_base_url: emulator.url };
  },
  upstreamId: (_collectionId, object) => String(object.id),
  mutation: {
    collectionId: 'shopify:customer',
    create: { first_name: 'Conformance', last_name: 'Created', email: 'conformance@example.com' },
    update: { note: 'Conformance Updated' },
    showsUpdate: (object) => object.note === 'Conformance Updated',
  },
  webhooks: {
    collectionId: 'shopify:customer',
    change: (emulator) => {
      const id = someCustomerId(emulator);
      emulator.updateObject('customer', id, { note: `Changed ${randomUUID()}` });
      return id;
    },
    remove: (emulator) => {
      const id = someCustomerId(emulator);
      emulator.removeObject('customer', id);
      return id;
    },
    secret: (emulator) => emulator.clientSecret,
    request: (emulator, upstreamId, secret) => {
      const current = emulator.objects('customer').find((c) => String(c.id) === upstreamId) ?? { id: Number(upstreamId) };
      const body = JSON.stringify(current);
      const headers = shopifyWebhookHeaders({
        topic: 'customers/update',
        body,
        secret,
        shop: SHOP,
        apiVersion: '2024-10',
        webhookId: randomUUID(),
        eventId: randomUUID(),
        triggeredAt: new Date().toISOString(),
      });
      return { headers: { 'Content-Type': 'application/json', ...headers }, body };
    },
  },
});
