import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { DEFAULT_WEBHOOK_SECRET } from '../../src/emulators/stripe/webhook-delivery.ts';
import { stripeEmulator } from '../../src/emulators/stripe/descriptor.ts';
import { waitFor } from '../support/wait.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback endpoint keeping every request raw; it answers 500 to the first `failFirst` of them. */
class Receiver {
  readonly requests: Received[] = [];
  failFirst = 0;
  private server: http.Server | null = null;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/stripe`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (this.requests.length <= this.failFirst) res.writeHead(500).end('down');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  eventsOfType(type: string): Stripe.Event[] {
    return this.requests.map((r) => JSON.parse(r.body) as Stripe.Event).filter((e) => e.type === type);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

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
  let receiver: Receiver;

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
    receiver = new Receiver();
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
    await waitFor(async () => receiver.requests.length >= 1, 10_000, 'the customer.updated delivery');
    await emulator.webhooks.settled();

    expect(receiver.requests).toHaveLength(1);
    const [delivery] = receiver.requests;
    expect(delivery!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(delivery!.headers['user-agent']).toMatch(/^Stripe\/1\.0/);
    const signature = delivery!.headers['stripe-signature'] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(delivery!.body, signature, endpoint.secret!);
    expect(event).toMatchObject({ object: 'event', type: 'customer.updated', data: { object: { id: customer, name: 'Webhook Hooked' }, previous_attributes: {} } });
    // The event it sent is the one the events feed lists.
    const feed = await stripe.events.retrieve(event.id);
    expect(feed.data.object).toEqual(event.data.object);
    expect(() => stripe.webhooks.constructEvent(delivery!.body, signature, 'whsec_wrong')).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('retries a delivery answered 500, signing each attempt afresh, with the same event', async () => {
    receiver = new Receiver();
    receiver.failFirst = 2;
    await receiver.start();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const created = await stripe.customers.create({ email: 'retry@example.com' });
    await waitFor(async () => receiver.requests.length >= 3, 10_000, 'two retries');
    await emulator.webhooks.settled();
    expect(receiver.requests).toHaveLength(3);
    const events = receiver.requests.map((r) => stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, endpoint.secret!));
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
    receiver = new Receiver();
    await receiver.start();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    const made = emulator.mutateRandomly(5, ['customer']);
    const changed = [...made.created, ...made.updated, ...made.deleted];
    await waitFor(async () => receiver.requests.length >= changed.length, 10_000, 'deliveries of the random changes');
    await emulator.webhooks.settled();
    const objectIds = receiver.requests.map((r) => (JSON.parse(r.body) as Stripe.Event).data.object as { id: string }).map((o) => o.id);
    for (const id of changed) expect(objectIds).toContain(id);

    await stripe.webhookEndpoints.update(endpoint.id, { disabled: true });
    const before = receiver.requests.length;
    emulator.mutateRandomly(2, ['customer']);
    await stripe.webhookEndpoints.update(endpoint.id, { disabled: false });
    expect(await stripe.webhookEndpoints.del(endpoint.id)).toEqual({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
    emulator.mutateRandomly(2, ['customer']);
    await emulator.webhooks.settled();
    expect(receiver.requests).toHaveLength(before);
    await expect(stripe.webhookEndpoints.retrieve(endpoint.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('sends the webhooks of a change made upstream without the API (change), with no request', async () => {
    receiver = new Receiver();
    await receiver.start();
    const endpoint = await stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['customer.updated'] });
    const customer = emulator.objects('customer')[2]!.id as string;
    emulator.clearRequestLog();
    expect(emulator.change('POST', `/v1/customers/${customer}`, 'name=Dashboard+Edit')).toMatchObject({ id: customer, name: 'Dashboard Edit' });
    await waitFor(async () => receiver.requests.length >= 1, 10_000, 'the delivery of the change');
    await emulator.webhooks.settled();
    expect(emulator.requestLog).toEqual([]);
    const [delivery] = receiver.requests;
    const event = stripe.webhooks.constructEvent(delivery!.body, delivery!.headers['stripe-signature'] as string, endpoint.secret!);
    expect(event).toMatchObject({ type: 'customer.updated', request: { id: null }, data: { object: { id: customer, name: 'Dashboard Edit' } } });
  });

  it("answers Stripe's errors for bad registrations", async () => {
    receiver = new Receiver();
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
    const receiver = new Receiver();
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
      expect(receiver.requests).toHaveLength(2);
      const secrets = receiver.requests.map((r) => {
        for (const secret of ['whsec_given', DEFAULT_WEBHOOK_SECRET]) {
          try {
            Stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, secret);
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
