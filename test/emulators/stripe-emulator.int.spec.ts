import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeCollection, type StripeEmulator } from '../../src/emulators/stripe/index.ts';

/** The official SDK pointed at the emulator, as Syncline's provider configures it. */
function sdk(emulator: StripeEmulator, apiKey = emulator.apiKey): Stripe {
  const url = new URL(emulator.url);
  return new Stripe(apiKey, {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A raw HTTP call, for what the SDK hides (headers, exact bodies). */
async function raw(emulator: StripeEmulator, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${emulator.apiKey}`,
      ...(options.body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

async function expectStripeError(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Stripe.errors.StripeError);
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

describe('Stripe emulator: listing and pagination', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 1050 }, randomSeed: 7 });
    stripe = sdk(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('auto-paginates 1,050 seeded customers, each exactly once, newest first', async () => {
    const customers = await stripe.customers.list({ limit: 100 }).autoPagingToArray({ limit: 5000 });
    expect(customers).toHaveLength(1050);
    const ids = customers.map((c) => c.id);
    expect(new Set(ids).size).toBe(1050);
    expect(ids.every((id) => /^cus_[A-Za-z0-9]{14}$/.test(id))).toBe(true);
    expect(new Set(ids)).toEqual(new Set(emulator.objects('customer').map((c) => c.id as string)));
    for (let i = 1; i < customers.length; i++) {
      expect(customers[i - 1]!.created).toBeGreaterThanOrEqual(customers[i]!.created);
    }
    // 11 list requests of 100 (the last one holds 50).
    const lists = emulator.requestLog.filter((e) => e.method === 'GET' && e.path === '/v1/customers');
    expect(lists).toHaveLength(11);
    expect(lists.every((e) => e.status === 200)).toBe(true);
  });

  it('returns Stripe-shaped customers with created in unix seconds', async () => {
    const page = await stripe.customers.list({ limit: 1 });
    const customer = page.data[0]!;
    expect(Object.keys(customer)).toEqual(
      expect.arrayContaining(['id', 'object', 'address', 'balance', 'created', 'currency', 'default_source', 'delinquent', 'description', 'email', 'invoice_prefix', 'invoice_settings', 'livemode', 'metadata', 'name', 'phone', 'preferred_locales', 'shipping', 'tax_exempt', 'test_clock']),
    );
    expect(customer.object).toBe('customer');
    expect(customer.livemode).toBe(false);
    expect(customer.created).toBeLessThan(Date.now() / 1000);
    expect(customer.created).toBeGreaterThan(Date.now() / 1000 - 200 * 86_400);
    expect(page.url).toBe('/v1/customers');
    expect(page.has_more).toBe(true);
  });

  it('ending_before returns the page just newer than the cursor, still newest first', async () => {
    const first = await stripe.customers.list({ limit: 10 });
    const second = await stripe.customers.list({ limit: 10, starting_after: first.data[9]!.id });
    expect(second.data[0]!.id).not.toBe(first.data[9]!.id);

    const back = await stripe.customers.list({ limit: 10, ending_before: second.data[0]!.id });
    expect(back.data.map((c) => c.id)).toEqual(first.data.map((c) => c.id));
    expect(back.has_more).toBe(false);

    const nearest = await stripe.customers.list({ limit: 3, ending_before: second.data[0]!.id });
    expect(nearest.data.map((c) => c.id)).toEqual(first.data.slice(7).map((c) => c.id));
    expect(nearest.has_more).toBe(true);

    // The SDK walks backwards with ending_before until the newest object.
    const backwards = await stripe.customers.list({ limit: 4, ending_before: second.data[5]!.id }).autoPagingToArray({ limit: 100 });
    expect(backwards.map((c) => c.id)).toEqual([...first.data, ...second.data.slice(0, 5)].reverse().map((c) => c.id));
  });

  it('filters by created[gt|gte|lt|lte] and exact created', async () => {
    const all = emulator.objects('customer');
    const sorted = all.map((c) => c.created as number).sort((a, b) => a - b);
    const middle = sorted[500]!;
    const gte = await stripe.customers.list({ limit: 100, created: { gte: middle } }).autoPagingToArray({ limit: 5000 });
    expect(gte.length).toBe(sorted.filter((t) => t >= middle).length);
    expect(gte.every((c) => c.created >= middle)).toBe(true);
    const window = await stripe.customers.list({ limit: 100, created: { gt: sorted[100]!, lt: sorted[200]! } }).autoPagingToArray({ limit: 5000 });
    expect(window.length).toBe(sorted.filter((t) => t > sorted[100]! && t < sorted[200]!).length);
    const exact = await raw(emulator, 'GET', `/v1/customers?created=${middle}&limit=100`);
    expect((exact.body['data'] as Array<{ created: number }>).map((c) => c.created)).toEqual(sorted.filter((t) => t === middle));
  });

  it('keeps deleted objects in the ordering so that cursors naming them still work', async () => {
    const page = await stripe.customers.list({ limit: 5 });
    const [, victim, next] = page.data;
    const deleted = await stripe.customers.del(victim!.id);
    expect(deleted).toMatchObject({ id: victim!.id, object: 'customer', deleted: true });

    const after = await stripe.customers.list({ limit: 2, starting_after: victim!.id });
    expect(after.data[0]!.id).toBe(next!.id);
    const before = await stripe.customers.list({ limit: 1, ending_before: victim!.id });
    expect(before.data[0]!.id).toBe(page.data[0]!.id);
    const listed = await stripe.customers.list({ limit: 5 });
    expect(listed.data.map((c) => c.id)).not.toContain(victim!.id);
  });

  it('rejects an unknown cursor and an out-of-range limit as Stripe does', async () => {
    const cursor = await expectStripeError(stripe.customers.list({ starting_after: 'cus_doesnotexist00' }));
    expect(cursor).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(cursor.statusCode).toBe(400);
    expect(cursor.code).toBe('resource_missing');
    expect(cursor.param).toBe('starting_after');
    expect(cursor.message).toBe("No such customer: 'cus_doesnotexist00'");

    for (const limit of [0, 101]) {
      const error = await expectStripeError(stripe.customers.list({ limit }));
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('parameter_invalid_integer');
      expect(error.param).toBe('limit');
    }
    const both = await raw(emulator, 'GET', '/v1/customers?starting_after=a&ending_before=b');
    expect(both.status).toBe(400);
  });

  it('lists 10,000 customers 100 per page quickly', async () => {
    const big = await startStripeEmulator({ seed: { customer: 10_000 }, randomSeed: 11 });
    try {
      const started = performance.now();
      let count = 0;
      let cursor: string | undefined;
      for (;;) {
        const page = await raw(big, 'GET', `/v1/customers?limit=100${cursor ? `&starting_after=${cursor}` : ''}`);
        const data = page.body['data'] as Array<{ id: string }>;
        count += data.length;
        if (page.body['has_more'] !== true) break;
        cursor = data[data.length - 1]!.id;
      }
      const elapsed = performance.now() - started;
      expect(count).toBe(10_000);
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await big.close();
    }
  });
});

describe('Stripe emulator: writes, events and errors', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    emulator = await startStripeEmulator({
      seed: { customer: 50, product: 10, price: 15, subscription: 60, invoice: 20, charge: 20 },
      randomSeed: 42,
    });
    stripe = sdk(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('emits customer.created/updated/deleted events with the object, previous_attributes and request', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const created = await stripe.customers.create({ email: 'ada@example.com', name: 'Ada', metadata: { plan: 'pro' } });
    expect(created.id).toMatch(/^cus_/);
    const updated = await stripe.customers.update(created.id, { name: 'Ada Lovelace' });
    expect(updated.name).toBe('Ada Lovelace');
    await stripe.customers.del(created.id);

    const events = await stripe.events.list({ types: ['customer.created', 'customer.updated', 'customer.deleted'], created: { gt: since } });
    const mine = events.data.filter((e) => (e.data.object as { id: string }).id === created.id);
    expect(mine.map((e) => e.type)).toEqual(['customer.deleted', 'customer.updated', 'customer.created']);
    const [deletedEvent, updatedEvent, createdEvent] = mine;
    expect(createdEvent!.id).toMatch(/^evt_/);
    expect(createdEvent!.object).toBe('event');
    expect(createdEvent!.api_version).toBe('2024-06-20');
    expect(createdEvent!.livemode).toBe(false);
    expect(createdEvent!.pending_webhooks).toBe(0);
    expect(createdEvent!.data.object).toEqual(created);
    expect(createdEvent!.request!.id).toBe(created.lastResponse.requestId);
    expect(createdEvent!.request!.id).toMatch(/^req_/);
    expect(createdEvent!.request!.idempotency_key).toMatch(/^stripe-node-retry-/);
    expect(updatedEvent!.data.object).toEqual(updated);
    expect(updatedEvent!.data.previous_attributes).toEqual({ name: 'Ada' });
    // Stripe sends the last full object on *.deleted.
    expect(deletedEvent!.data.object).toEqual(updated);
    expect(deletedEvent!.data.previous_attributes).toBeUndefined();

    const one = await stripe.events.retrieve(updatedEvent!.id);
    expect(one).toEqual(updatedEvent);

    const newer = await stripe.events.list({ created: { gt: createdEvent!.created - 1 }, type: 'customer.*', limit: 100 });
    expect(newer.data.every((e) => e.type.startsWith('customer.'))).toBe(true);
    expect(newer.data.map((e) => e.id)).toEqual(expect.arrayContaining([createdEvent!.id, updatedEvent!.id, deletedEvent!.id]));
    const future = await stripe.events.list({ created: { gt: Math.floor(Date.now() / 1000) + 60 } });
    expect(future.data).toEqual([]);
  });

  it('retrieves a deleted customer as a deleted stub and leaves it out of objects()', async () => {
    const customer = await stripe.customers.create({ name: 'Temporary' });
    await stripe.customers.del(customer.id);
    const retrieved = await stripe.customers.retrieve(customer.id);
    expect(retrieved).toEqual({ id: customer.id, object: 'customer', deleted: true });
    expect(emulator.objects('customer').some((c) => c.id === customer.id)).toBe(false);
    const again = await expectStripeError(stripe.customers.del(customer.id));
    expect(again.statusCode).toBe(404);
    expect(again.code).toBe('resource_missing');
  });

  it('merges metadata on update and removes keys sent empty', async () => {
    const customer = await stripe.customers.create({ metadata: { a: '1', b: '2' } });
    const updated = await stripe.customers.update(customer.id, { metadata: { b: '', c: '3' } });
    expect(updated.metadata).toEqual({ a: '1', c: '3' });
    const events = await stripe.events.list({ types: ['customer.updated'], limit: 5 });
    const event = events.data.find((e) => (e.data.object as { id: string }).id === customer.id)!;
    expect(event.data.previous_attributes).toEqual({ metadata: { b: '2', c: null } });
    const cleared = await stripe.customers.update(customer.id, { metadata: '' });
    expect(cleared.metadata).toEqual({});
    const unchanged = await stripe.events.list({ types: ['customer.updated'], limit: 100 });
    const before = unchanged.data.filter((e) => (e.data.object as { id: string }).id === customer.id).length;
    // An update that changes nothing emits no event.
    await stripe.customers.update(customer.id, { metadata: { x: '' } });
    const after = await stripe.events.list({ types: ['customer.updated'], limit: 100 });
    expect(after.data.filter((e) => (e.data.object as { id: string }).id === customer.id).length).toBe(before);
  });

  it('replays an idempotent POST with Idempotent-Replayed and rejects the key with other parameters', async () => {
    const body = 'email=replay%40example.com&metadata[plan]=pro';
    const key = `test-${Date.now()}`;
    const first = await raw(emulator, 'POST', '/v1/customers', { body, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const second = await raw(emulator, 'POST', '/v1/customers', { body, headers: { 'Idempotency-Key': key } });
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('request-id')).not.toBe(first.headers.get('request-id'));
    expect(emulator.objects('customer').filter((c) => c.email === 'replay@example.com')).toHaveLength(1);

    const sdkFirst = await stripe.customers.create({ name: 'Once' }, { idempotencyKey: `${key}-sdk` });
    const sdkSecond = await stripe.customers.create({ name: 'Once' }, { idempotencyKey: `${key}-sdk` });
    expect(sdkSecond.id).toBe(sdkFirst.id);

    const conflict = await expectStripeError(stripe.customers.create({ name: 'Twice' }, { idempotencyKey: `${key}-sdk` }));
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(conflict.statusCode).toBe(400);
    expect(conflict.type).toBe('StripeIdempotencyError');
    expect(conflict.raw).toMatchObject({ type: 'idempotency_error' });
  });

  it('rejects unknown parameters with parameter_unknown and missing ones with parameter_missing', async () => {
    const unknown = await expectStripeError(stripe.customers.create({ favourite_colour: 'blue' } as Stripe.CustomerCreateParams));
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.code).toBe('parameter_unknown');
    expect(unknown.param).toBe('favourite_colour');
    expect(unknown.message).toBe('Received unknown parameter: favourite_colour');
    expect(unknown.doc_url).toBe('https://stripe.com/docs/error-codes/parameter-unknown');

    const nested = await raw(emulator, 'POST', '/v1/customers', { body: 'address[planet]=Mars' });
    expect(nested.status).toBe(400);
    expect(nested.body).toEqual({
      error: {
        code: 'parameter_unknown',
        doc_url: 'https://stripe.com/docs/error-codes/parameter-unknown',
        message: 'Received unknown parameter: address[planet]',
        param: 'address[planet]',
        type: 'invalid_request_error',
      },
    });

    const product = await stripe.products.create({ name: 'Widget' });
    const noCurrency = await expectStripeError(stripe.prices.create({ product: product.id, unit_amount: 100 } as Stripe.PriceCreateParams));
    expect(noCurrency.code).toBe('parameter_missing');
    expect(noCurrency.param).toBe('currency');
    const noItems = await expectStripeError(stripe.subscriptions.create({ customer: (emulator.objects('customer')[0]!.id as string) }));
    expect(noItems.code).toBe('parameter_missing');
    expect(noItems.param).toBe('items');
    const listUnknown = await raw(emulator, 'GET', '/v1/charges?colour=red');
    expect(listUnknown.status).toBe(400);
    expect((listUnknown.body['error'] as { param: string }).param).toBe('colour');
  });

  it('answers unknown ids and routes with 404 in Stripe shape, with Request-Id on every response', async () => {
    const missing = await raw(emulator, 'GET', '/v1/products/prod_nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: "No such product: 'prod_nope'" } });
    expect(missing.headers.get('request-id')).toMatch(/^req_[A-Za-z0-9]{14}$/);
    expect(missing.headers.get('content-type')).toBe('application/json');

    const route = await raw(emulator, 'GET', '/v1/unicorns');
    expect(route.status).toBe(404);
    expect((route.body['error'] as { message: string }).message).toContain('Unrecognized request URL (GET: /v1/unicorns)');
    const priceDelete = await raw(emulator, 'DELETE', `/v1/prices/${emulator.objects('price')[0]!.id as string}`);
    expect(priceDelete.status).toBe(404);
  });

  it('lists only non-canceled subscriptions unless status=all, and cancels on DELETE', async () => {
    const all = emulator.objects('subscription');
    const canceled = all.filter((s) => s.status === 'canceled');
    expect(canceled.length).toBeGreaterThan(0);
    const defaultList = await stripe.subscriptions.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(defaultList.length).toBe(all.length - canceled.length);
    expect(defaultList.some((s) => s.status === 'canceled')).toBe(false);
    const everything = await stripe.subscriptions.list({ limit: 100, status: 'all' }).autoPagingToArray({ limit: 1000 });
    expect(everything.length).toBe(all.length);
    const onlyCanceled = await stripe.subscriptions.list({ limit: 100, status: 'canceled' }).autoPagingToArray({ limit: 1000 });
    expect(onlyCanceled.map((s) => s.id).sort()).toEqual(canceled.map((s) => s.id as string).sort());

    const victim = defaultList[0]!;
    const result = await stripe.subscriptions.cancel(victim.id);
    expect(result.status).toBe('canceled');
    expect(result.canceled_at).not.toBeNull();
    const events = await stripe.events.list({ type: 'customer.subscription.deleted', limit: 1 });
    // The SDK turns `*_decimal` fields of typed responses into Decimal objects; their JSON is Stripe's string.
    expect(events.data[0]!.data.object).toEqual(JSON.parse(JSON.stringify(result)));
    const after = await stripe.subscriptions.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(after.map((s) => s.id)).not.toContain(victim.id);
    expect(emulator.objects('subscription').find((s) => s.id === victim.id)?.status).toBe('canceled');
    const byCustomer = await stripe.subscriptions.list({ customer: victim.customer as string, status: 'all' });
    expect(byCustomer.data.map((s) => s.id)).toContain(victim.id);
    expect(byCustomer.data.every((s) => s.customer === victim.customer)).toBe(true);
  });

  it('creates a subscription from bracket-encoded items and expands its customer', async () => {
    const customer = await stripe.customers.create({ name: 'Subscriber' });
    const product = await stripe.products.create({ name: 'Seats' });
    const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } });
    const subscription = await stripe.subscriptions.create(
      { customer: customer.id, items: [{ price: price.id, quantity: 3 }], metadata: { team: 'core' } },
      {},
    );
    expect(subscription.id).toMatch(/^sub_/);
    expect(subscription.status).toBe('active');
    expect(subscription.items.data[0]!.price.id).toBe(price.id);
    expect(subscription.items.data[0]!.quantity).toBe(3);
    const expanded = await stripe.subscriptions.retrieve(subscription.id, { expand: ['customer'] });
    expect((expanded.customer as Stripe.Customer).name).toBe('Subscriber');
    const oneTime = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 100 });
    const wrong = await expectStripeError(stripe.subscriptions.create({ customer: customer.id, items: [{ price: oneTime.id }] }));
    expect(wrong.param).toBe('items[0][price]');
    const productDelete = await expectStripeError(stripe.products.del(product.id));
    expect(productDelete.message).toBe('This product cannot be deleted because it has one or more user-created prices.');
    const archived = await stripe.prices.update(oneTime.id, { active: false });
    expect(archived.active).toBe(false);
    const activePrices = await stripe.prices.list({ product: product.id, active: true });
    expect(activePrices.data.map((p) => p.id)).toEqual([price.id]);
  });

  it('moves an invoice through finalize and pay with the matching events; deletes drafts only', async () => {
    const customer = await stripe.customers.create({ name: 'Billed' });
    const draft = await stripe.invoices.create({ customer: customer.id, description: 'Consulting' });
    expect(draft.status).toBe('draft');
    const finalized = await stripe.invoices.finalizeInvoice(draft.id!);
    expect(finalized.status).toBe('paid'); // nothing due: Stripe marks it paid on finalization
    const types = (await stripe.events.list({ type: 'invoice.*', limit: 10 })).data
      .filter((e) => (e.data.object as { id: string }).id === draft.id)
      .map((e) => e.type);
    expect(types).toEqual(['invoice.paid', 'invoice.finalized', 'invoice.created']);
    const notDraft = await expectStripeError(stripe.invoices.del(draft.id!));
    expect(notDraft.statusCode).toBe(400);

    const second = await stripe.invoices.create({ customer: customer.id });
    const gone = await stripe.invoices.del(second.id!);
    expect(gone).toMatchObject({ id: second.id, object: 'invoice', deleted: true });
    const deletedEvent = (await stripe.events.list({ type: 'invoice.deleted', limit: 1 })).data[0]!;
    expect((deletedEvent.data.object as { id: string }).id).toBe(second.id);
    const byCustomer = await stripe.invoices.list({ customer: customer.id });
    expect(byCustomer.data.map((i) => i.id)).toEqual([draft.id]);
  });

  it('creates and updates charges with charge.succeeded and charge.updated', async () => {
    const customer = emulator.objects('customer')[0]!;
    const charge = await stripe.charges.create({ amount: 2500, currency: 'usd', customer: customer.id as string });
    expect(charge.id).toMatch(/^ch_/);
    expect(charge.status).toBe('succeeded');
    const updated = await stripe.charges.update(charge.id, { description: 'Order 42' });
    const events = await stripe.events.list({ types: ['charge.succeeded', 'charge.updated'], limit: 2 });
    expect(events.data.map((e) => e.type)).toEqual(['charge.updated', 'charge.succeeded']);
    expect(events.data[0]!.data.object).toEqual(updated);
    expect(events.data[0]!.data.previous_attributes).toEqual({ description: null });
    const small = await expectStripeError(stripe.charges.create({ amount: 10, currency: 'usd', customer: customer.id as string }));
    expect(small.code).toBe('amount_too_small');
  });

  it('mutates randomly with events whose latest object equals what GET returns', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const done = emulator.mutateRandomly(40);
    const touched = [...done.created, ...done.updated, ...done.deleted];
    expect(touched.length).toBe(40);
    const events = await stripe.events.list({ created: { gte: since }, limit: 100 }).autoPagingToArray({ limit: 5000 });
    const latest = new Map<string, Stripe.Event>();
    for (const event of [...events].reverse()) latest.set((event.data.object as { id: string }).id, event);
    for (const id of touched) {
      const event = latest.get(id);
      expect(event, `an event for ${id}`).toBeDefined();
      expect(event!.request).toEqual({ id: null, idempotency_key: null });
      const object = event!.data.object as unknown as Record<string, unknown>;
      const collection = event!.type.startsWith('customer.subscription.') ? 'subscription' : (object['object'] as StripeCollection);
      const current = emulator.objects(collection).find((o) => o.id === id);
      if (event!.type.endsWith('.deleted') && collection !== 'subscription') expect(current).toBeUndefined();
      else expect(current).toEqual(object);
    }
  });

  it('logs every request with method, path, raw query, status and timings', async () => {
    emulator.clearRequestLog();
    expect(emulator.requestLog).toHaveLength(0);
    const before = performance.timeOrigin + performance.now();
    await stripe.customers.list({ limit: 2, created: { gte: 1 } });
    await expectStripeError(stripe.customers.retrieve('cus_missing'));
    await raw(emulator, 'GET', '/v1/customers', { headers: { Authorization: 'Bearer sk_test_wrong' } });
    const after = performance.timeOrigin + performance.now();
    const log = emulator.requestLog;
    expect(log.map((e) => [e.method, e.path, e.status])).toEqual([
      ['GET', '/v1/customers', 200],
      ['GET', '/v1/customers/cus_missing', 404],
      ['GET', '/v1/customers', 401],
    ]);
    expect(decodeURIComponent(log[0]!.query)).toBe('limit=2&created[gte]=1');
    expect(log[1]!.query).toBe('');
    for (const entry of log) {
      expect(entry.startedAt).toBeGreaterThanOrEqual(before);
      expect(entry.endedAt).toBeGreaterThanOrEqual(entry.startedAt);
      expect(entry.endedAt).toBeLessThanOrEqual(after);
    }
  });
});

describe('Stripe emulator: authentication, rate limits and faults', () => {
  let emulator: StripeEmulator;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 5 }, apiKey: 'sk_test_original_key', randomSeed: 1 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('rejects a bad key with 401 (StripeAuthenticationError), accepts Basic auth, and honours key rotation', async () => {
    const bad = await expectStripeError(sdk(emulator, 'sk_test_not_the_key').customers.list());
    expect(bad).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(bad.statusCode).toBe(401);
    expect(bad.message).toBe('Invalid API Key provided: sk_test_*******_key');

    const none = await fetch(`${emulator.url}/v1/customers`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain('You did not provide an API key');

    const basic = await fetch(`${emulator.url}/v1/customers?limit=1`, {
      headers: { Authorization: `Basic ${Buffer.from('sk_test_original_key:').toString('base64')}` },
    });
    expect(basic.status).toBe(200);

    const list = await sdk(emulator).customers.list();
    expect(list.data).toHaveLength(5);
    emulator.setApiKey('sk_test_rotated');
    expect(emulator.apiKey).toBe('sk_test_rotated');
    const old = await expectStripeError(sdk(emulator, 'sk_test_original_key').customers.list());
    expect(old).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((await sdk(emulator).customers.list()).data).toHaveLength(5);
  });

  it('answers 429 in Stripe shape beyond the configured rate (StripeRateLimitError)', async () => {
    const stripe = sdk(emulator);
    emulator.setRateLimit({ requests: 3, windowMs: 1000 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => stripe.customers.list({ limit: 1 })));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(rejected).toHaveLength(5);
      for (const r of rejected) {
        expect(r.reason).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
        expect((r.reason as Stripe.errors.StripeError).code).toBe('rate_limit');
      }
      const response = await raw(emulator, 'GET', '/v1/customers');
      expect(response.status).toBe(429);
      expect(response.headers.get('stripe-should-retry')).toBe('true');
      expect(response.body).toMatchObject({ error: { type: 'invalid_request_error', code: 'rate_limit' } });
      expect((response.body['error'] as { message: string }).message).toMatch(/^Request rate limit exceeded\./);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await stripe.customers.list({ limit: 1 })).data).toHaveLength(1);
    } finally {
      emulator.setRateLimit(null);
    }
  });

  it('injects random 500s and 429s at the configured rates', async () => {
    emulator.setFaults({ rate500: 1 });
    const failure = await raw(emulator, 'GET', '/v1/customers');
    expect(failure.status).toBe(500);
    expect(failure.body).toMatchObject({ error: { type: 'api_error' } });
    expect(failure.headers.get('stripe-should-retry')).toBe('true');
    const sdkFailure = await expectStripeError(sdk(emulator).customers.list());
    expect(sdkFailure).toBeInstanceOf(Stripe.errors.StripeAPIError);

    emulator.setFaults({ rate429: 1 });
    const limited = await expectStripeError(sdk(emulator).customers.list());
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);

    emulator.setFaults({ rate429: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await raw(emulator, 'GET', '/v1/customers?limit=1')).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(10);
    emulator.setFaults({});
    expect((await raw(emulator, 'GET', '/v1/customers?limit=1')).status).toBe(200);
  });
});
