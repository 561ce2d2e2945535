import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { stripeApiDescription } from './api-descriptions/stripe.ts';
import { describeConformance } from './conformance/conformance.ts';

describeConformance<StripeEmulator>({
  provider: 'stripe',
  collections: ['stripe:customer', 'stripe:product', 'stripe:subscription'],
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startStripeEmulator({
      seed: { customer: objects, product: Math.ceil(objects / 5), price: Math.ceil(objects / 5), subscription: Math.ceil(objects / 5) },
      randomSeed,
      rateLimit: rateLimit ?? null,
    }),
  credential: async (_api, emulator) => ({ kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url }),
  upstreamId: (_collectionId, object) => object.id as string,
  apiDescription: stripeApiDescription,
  mutation: {
    collectionId: 'stripe:customer',
    create: { email: 'conformance@example.com', name: 'Conformance Created' },
    update: { name: 'Conformance Updated' },
    showsUpdate: (object) => object.name === 'Conformance Updated',
  },
});
