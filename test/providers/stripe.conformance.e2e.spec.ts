import Stripe from 'stripe';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChangesExpiredError, type ProviderSession } from '../../src/sync/providers/provider.ts';
import { stripeProvider } from '../../src/sync/providers/stripe/index.ts';
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

/** Stripe's event limits, straight against the emulator (no engine). */
describe('Stripe provider: events rendered at the account version, and kept 30 days', () => {
  let emulator: StripeEmulator;
  afterEach(async () => {
    vi.restoreAllMocks();
    await emulator?.close();
  });

  /**
   * The session over real HTTP to the emulator, with the events feed's payloads rewritten as an
   * account on an older default version renders them (Stripe renders `data.object` at the
   * account's version when the event is made, whatever version the request names).
   */
  async function session(renderEvents: (object: Record<string, unknown>) => Record<string, unknown>, failing: (path: string) => boolean = () => false): Promise<ProviderSession> {
    emulator = await startStripeEmulator({ seed: { customer: 5, product: 0, price: 0, subscription: 0 }, randomSeed: 11, rateLimit: null });
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (failing(new URL(String(input instanceof Request ? input.url : input)).pathname)) {
        return new Response(JSON.stringify({ error: { type: 'api_error', message: 'injected' } }), { status: 500, headers: { 'content-type': 'application/json' } });
      }
      const answer = await globalThis.fetch(input, init);
      if (!answer.ok || !new URL(String(input instanceof Request ? input.url : input)).pathname.startsWith('/v1/events')) return answer;
      const page = (await answer.json()) as { data: Array<{ data: { object: Record<string, unknown> } }> };
      for (const event of page.data) event.data.object = renderEvents(event.data.object);
      return new Response(JSON.stringify(page), { status: answer.status, headers: answer.headers });
    };
    return stripeProvider.connect({
      credential: { kind: 'stripe', accessToken: emulator.apiKey, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
      fetch,
      oauth: null,
    });
  }

  it('records the object read back at the pinned version, never the event payload', async () => {
    const stripe = await session((object) => ({ ...object, name: 'as rendered at the account version', address: 'not an object at the pinned version' }));
    const cursor = await stripe.initialChangesCursor('stripe:customer');
    const id = emulator.objects('customer')[0]!.id as string;
    emulator.change('POST', `/v1/customers/${id}`, 'name=Pinned%20Version');
    emulator.change('DELETE', `/v1/customers/${emulator.objects('customer')[1]!.id as string}`);
    const page = await stripe.changesSince('stripe:customer', cursor);
    const updated = page.objects.find((o) => o.upstreamId === id);
    expect(updated?.data).toEqual(emulator.objects('customer').find((c) => c.id === id));
    const deleted = page.objects.find((o) => o.deleted);
    expect(deleted).toMatchObject({ partialTombstone: true, data: { deleted: true } });
    expect(deleted?.data.name).toBeUndefined();
  });

  it('keeps what a page read back before a failed read: the cursor moves past those events only, the next page goes on from the failed object', async () => {
    let failed = new Set<string>();
    const stripe = await session((object) => object, (path) => failed.has(path));
    const ids = emulator.objects('customer').slice(0, 3).map((c) => c.id as string);
    const cursor = await stripe.initialChangesCursor('stripe:customer');
    ids.forEach((id, i) => emulator.change('POST', `/v1/customers/${id}`, `name=Changed%20${i}`));

    failed = new Set([`/v1/customers/${ids[0]}`]);
    await expect(stripe.changesSince('stripe:customer', cursor)).rejects.toThrow(/injected/);

    failed = new Set([`/v1/customers/${ids[1]}`]);
    const first = await stripe.changesSince('stripe:customer', cursor);
    expect(first.hasMore).toBe(true);
    expect(first.objects.map((o) => o.upstreamId).sort()).toEqual([ids[0], ids[2]].sort());

    failed = new Set();
    const next = await stripe.changesSince('stripe:customer', first.cursor);
    expect(next.hasMore).toBe(false);
    // The events from the failed object's on: it, and the one read back already (the same state, so no new version).
    expect(next.objects.map((o) => o.upstreamId).sort()).toEqual([ids[1], ids[2]].sort());
    expect(next.objects.find((o) => o.upstreamId === ids[1])?.data).toMatchObject({ name: 'Changed 1' });
  });

  it('refuses to read on from a cursor older than the 30 days Stripe keeps events: the collection is resynced', async () => {
    const stripe = await session((object) => object);
    const now = Math.floor(Date.now() / 1000);
    expect((await stripe.changesSince('stripe:customer', await stripe.initialChangesCursor('stripe:customer'))).hasMore).toBe(false);
    // A sync stopped for 31 days: its newest applied event has aged out of the feed.
    const stopped = JSON.stringify({ t: now - 31 * 24 * 3600, ids: [], last: 'evt_aged_out_of_the_feed' });
    await expect(stripe.changesSince('stripe:customer', stopped)).rejects.toBeInstanceOf(ChangesExpiredError);
    // Stopped 29 days with the same aged-out event, but its feed was read to the end since: nothing was missed.
    const quiet = JSON.stringify({ t: now - 40 * 24 * 3600, ids: [], last: 'evt_aged_out_of_the_feed', seen: now - 29 * 24 * 3600 });
    expect((await stripe.changesSince('stripe:customer', quiet)).hasMore).toBe(false);
  });
});
