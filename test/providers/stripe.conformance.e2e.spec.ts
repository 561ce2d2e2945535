import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { stripeApiDescription } from './api-descriptions/stripe.ts';
import { describeConformance } from './conformance/conformance.ts';

let changes = 0;

/** A customer that still exists upstream (the suite's own changes may have deleted others). */
function liveCustomer(emulator: StripeEmulator): string {
  const customer = emulator.objects('customer')[0];
  if (!customer) throw new Error('the Stripe emulator has no customer left');
  return customer.id as string;
}

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
  webhooks: {
    collectionId: 'stripe:customer',
    // No settings: Syncline registers its endpoint through the emulator's /v1/webhook_endpoints.
    change: (emulator) => {
      const id = liveCustomer(emulator);
      emulator.change('POST', `/v1/customers/${id}`, `name=${encodeURIComponent(`Webhook Change ${++changes}`)}`);
      return id;
    },
    remove: (emulator) => {
      const id = liveCustomer(emulator);
      emulator.change('DELETE', `/v1/customers/${id}`);
      return id;
    },
    secret: (emulator) => {
      const endpoint = emulator.webhookEndpoints().at(-1);
      if (!endpoint) throw new Error('Syncline registered no webhook endpoint with the Stripe emulator');
      return endpoint.secret;
    },
    request: (emulator, upstreamId, secret) => {
      const object = emulator.objects('customer').find((c) => c.id === upstreamId);
      if (!object) throw new Error(`the Stripe emulator has no customer ${upstreamId}`);
      const created = Math.floor(Date.now() / 1000);
      // As Stripe sends an event: pretty-printed, signed over exactly these bytes.
      const body = JSON.stringify(
        {
          id: `evt_conformance${String(++changes).padStart(10, '0')}`,
          object: 'event',
          api_version: '2024-06-20',
          created,
          data: { object },
          livemode: false,
          pending_webhooks: 1,
          request: { id: null, idempotency_key: null },
          type: 'customer.updated',
        },
        null,
        2,
      );
      return {
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: created }),
        },
        body,
      };
    },
  },
});
