import { startShopifyEmulator, type ShopifyEmulator } from '../../src/emulators/shopify/index.ts';
import { describeConformance } from './conformance/conformance.ts';

describeConformance<ShopifyEmulator>({
  provider: 'shopify',
  collections: ['shopify:customer', 'shopify:order', 'shopify:product'],
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startShopifyEmulator({
      seed: { customer: objects, order: objects, product: Math.ceil(objects / 3) },
      randomSeed,
      apiKey: 'shpat_conformance',
      shop: 'syncline-test.myshopify.com',
      // The suite's sync runs faster than a standard shop allows; it sets the limit it checks.
      rateLimit: rateLimit ?? null,
    }),
  credential: async (_api, emulator) => ({
    kind: 'shopify',
    access_token: emulator.accessToken,
    metadata: { shop: 'syncline-test.myshopify.com' },
    api_base_url: emulator.url,
  }),
  upstreamId: (_collectionId, object) => String(object.id),
  mutation: {
    collectionId: 'shopify:customer',
    create: { first_name: 'Conformance', last_name: 'Created', email: 'conformance@example.com' },
    update: { note: 'Conformance Updated' },
    showsUpdate: (object) => object.note === 'Conformance Updated',
  },
});
