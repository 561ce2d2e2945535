import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { DEFAULT_WEBHOOK_SECRET } from '../../src/emulators/stripe/webhook-delivery.ts';
import { stripeEmulator } from '../../src/emulators/stripe/descriptor.ts';
import { WebhookInbox } from '../support/webhook-inbox.ts';

function sdk(emulator: StripeEmulator): Stripe {
  const url = new URL(emulator.url);
  return new Stripe(emulator.apiKey, { host: url.hostname, port: Number(url.port), protocol: 'http', httpClient: Stripe.createFetchHttpClient(), maxNetworkRetries: 0, telemetry: false });
}

async function form(emulator: StripeEmulator, method: string, path: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${emulator.apiKey}`, ...(body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

describe('Stripe emulator: webhook endpoints and deliveries', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let receiver: WebhookInbox;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 20, product: 3, price: 3, subscription: 3 }, randomSeed: 11, webhookRetryDelaysMs: [50, 50, 50] });
    stripe = sdk(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  afterEach(async () => {
    await emulator.webhooks.settled();
    for (const endpoint of emulator.webhookEndpoints()) await stripe.webhookEndpoints.del(endpoint.id);
    await receiver?.close();
  });

  it('registers an endpoint (secret answered only at creation) and delivers each matching change signed with it', async () => {
    receiver = new WebhookInbox('/stripe');
    await receiver.start();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.updated', 'customer.deleted'], description: 'test' });
    expect(endpoint).toMatchObject({ object: 'webhook_endpoint', url: receiver.url, enabled_events: ['customer.updated', 'customer.deleted'], status: 'enabled', livemode: false });
    expect(endpoint.id).toMatch(/^we_\w{24}$/);
    expect(endpoint.secret).toMatch(/^whsec_\w{32}$/);
    const read = await stripe.webhookEndpoints.retrieve(endpoint.id);
    expect(read.secret).toBeUndefined();
    expect((await stripe.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([endpoint.id]);

    const customer = emulator.objects('customer')[0]!.id as string;
    await stripe.customers.update(customer, { name: 'Webhook Hooked' });
    await stripe.products.update(emulator.objects('product')[0]!.id as string, { name: 'Not subscribed' });
    await receiver.arrivals(1, 'the customer.updated delivery');
    await emulator.webhooks.settled();

    expect(receiver.arrived).toHaveLength(1);
    const [delivery] = receiver.arrived;
    expect(delivery!.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(delivery!.headers.get('user-agent')).toMatch(/^Stripe\/1\.0/);
    const signature = delivery!.headers.get('stripe-signature')!;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(delivery!.text, signature, endpoint.secret!);
    expect(event).toMatchObject({ object: 'event', type: 'customer.updated', data: { object: { id: customer, name: 'Webhook Hooked' }, previous_attributes: {} } });
    // The event it sent is the one the events feed lists.
    const feed = await stripe.events.retrieve(event.id);
    expect(feed.data.object).toEqual(event.data.object);
    expect(() => stripe.webhooks.constructEvent(delivery!.text, signature, 'whsec_wrong')).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('retries a delivery answered 500, signing each attempt afresh, with the same event', async () => {
    receiver = new WebhookInbox('/stripe');
    receiver.answerNext(500, 500);
    await receiver.start();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const created = await stripe.customers.create({ email: 'retry@example.com' });
    await receiver.arrivals(3, 'two retries');
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(3);
    const events = receiver.arrived.map((r) => stripe.webhooks.constructEvent(r.text, r.headers.get('stripe-signature')!, endpoint.secret!));
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(events[0]).toMatchObject({ type: 'customer.created', data: { object: { id: created.id } } });
    const attempts = emulator.webhooks.attempts.filter((a) => a.deliveryId === events[0]!.id);
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  it('sends random mutations too, and stops sending to a disabled or deleted endpoint', async () => {
    receiver = new WebhookInbox('/stripe');
    await receiver.start();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const made = emulator.mutateRandomly(5, ['customer']);
    const changed = [...made.created, ...made.updated, ...made.deleted];
    await receiver.arrivals(changed.length, 'deliveries of the random changes');
    await emulator.webhooks.settled();
    const objectIds = receiver.arrived.map((r) => r.json<Stripe.Event>().data.object as { id: string }).map((o) => o.id);
    for (const id of changed) expect(objectIds).toContain(id);

    await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
    const before = receiver.arrived.length;
    emulator.mutateRandomly(2, ['customer']);
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
    expect(await stripe.webhookEndpoints.del(endpoint.id)).toEqual({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
    emulator.mutateRandomly(2, ['customer']);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(before);
    await expect(stripe.webhookEndpoints.retrieve(endpoint.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('sends the webhooks of a change made upstream without the API (change), with no request', async () => {
    receiver = new WebhookInbox('/stripe');
    await receiver.start();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.updated'] });
    const customer = emulator.objects('customer')[2]!.id as string;
    emulator.clearRequestLog();
    expect(emulator.change('POST', `/v1/customers/${customer}`, 'name=Dashboard+Edit')).toMatchObject({ id: customer, name: 'Dashboard Edit' });
    await receiver.arrivals(1, 'the delivery of the change');
    await emulator.webhooks.settled();
    expect(emulator.requestLog).toEqual([]);
    const [delivery] = receiver.arrived;
    const event = stripe.webhooks.constructEvent(delivery!.text, delivery!.headers.get('stripe-signature')!, endpoint.secret!);
    expect(event).toMatchObject({ type: 'customer.updated', request: { id: null }, data: { object: { id: customer, name: 'Dashboard Edit' } } });
  });

  it("answers Stripe's errors for bad registrations", async () => {
    receiver = new WebhookInbox('/stripe');
    await receiver.start();
    expect(await form(emulator, 'POST', '/v1/webhook_endpoints', 'enabled_events[]=customer.updated')).toMatchObject({ status: 400, body: { error: { code: 'parameter_missing', param: 'url' } } });
    expect(await form(emulator, 'POST', '/v1/webhook_endpoints', `url=${encodeURIComponent(receiver.url)}`)).toMatchObject({ status: 400, body: { error: { code: 'parameter_missing', param: 'enabled_events' } } });
    expect(await form(emulator, 'POST', '/v1/webhook_endpoints', `url=${encodeURIComponent(receiver.url)}&enabled_events[]=customer.exploded`)).toMatchObject({
      status: 400,
      body: { error: { type: 'invalid_request_error', param: 'enabled_events[0]' } },
    });
    expect(await form(emulator, 'POST', '/v1/webhook_endpoints', 'url=ftp%3A%2F%2Fexample.com&enabled_events[]=*')).toMatchObject({ status: 400, body: { error: { code: 'url_invalid', param: 'url' } } });
    expect(await form(emulator, 'DELETE', '/v1/webhook_endpoints/we_missing')).toMatchObject({ status: 404, body: { error: { code: 'resource_missing', message: "No such webhook endpoint: 'we_missing'" } } });
    expect(emulator.webhookEndpoints()).toEqual([]);
  });
});

describe('Stripe emulator: --webhook-url', () => {
  it('sends every event to the URL given at start, signed with the given secret or the default one', async () => {
    const receiver = new WebhookInbox('/stripe');
    await receiver.start();
    // As `npm run emulate -- stripe --webhook-url … --webhook-secret …` starts it.
    const withSecret = await stripeEmulator.start({ port: 0, objects: 3, randomSeed: 5, webhookUrl: receiver.url, webhookSecret: 'whsec_given' });
    expect(withSecret.instructions().join('\n')).toContain(`every event is also sent to ${receiver.url}, signed with whsec_given`);
    const withDefault = await startStripeEmulator({ seed: { customer: 3 }, randomSeed: 6, webhookUrl: receiver.url });
    try {
      withSecret.mutateRandomly(1, ['customer']);
      withDefault.mutateRandomly(1, ['customer']);
      await withSecret.webhooks!.settled();
      await withDefault.webhooks.settled();
      expect(receiver.arrived).toHaveLength(2);
      const secrets = receiver.arrived.map((r) => {
        for (const secret of ['whsec_given', DEFAULT_WEBHOOK_SECRET]) {
          try {
            Stripe.webhooks.constructEvent(r.text, r.headers.get('stripe-signature')!, secret);
            return secret;
          } catch {
            // the other emulator's
          }
        }
        return null;
      });
      expect(secrets.sort()).toEqual(['whsec_given', DEFAULT_WEBHOOK_SECRET].sort());
    } finally {
      await withSecret.close();
      await withDefault.close();
      await receiver.close();
    }
  });
});
