import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopifyEmulator, type ShopifyEmulator } from '../../src/emulators/shopify/index.ts';
import { nextLink } from '../../src/sync/providers/http-json.ts';
import { createHmac } from 'node:crypto';
import { WebhookInbox, type ArrivedRequest } from '../support/webhook-inbox.ts';

const API = '/admin/api/2024-10';
const SHOPIFY_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-05:00$/;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

async function call(emulator: ShopifyEmulator, method: string, pathOrUrl: string, options: { body?: unknown; token?: string | null } = {}): Promise<Answer> {
  const token = options.token === undefined ? emulator.accessToken : options.token;
  const response = await fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${emulator.url}${pathOrUrl}`, {
    method,
    headers: { ...(token ? { 'X-Shopify-Access-Token': token } : {}), ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** Every object of a listing, following `rel="next"` links. */
async function listAll(emulator: ShopifyEmulator, first: string, key: string): Promise<{ items: Record<string, any>[]; requests: number }> {
  const items: Record<string, any>[] = [];
  let url: string | null = first;
  let requests = 0;
  while (url) {
    const page = await call(emulator, 'GET', url);
    expect(page.status).toBe(200);
    items.push(...(page.body[key] as Record<string, any>[]));
    url = nextLink(page.headers);
    requests++;
  }
  return { items, requests };
}

describe('Shopify emulator: reads', () => {
  let emulator: ShopifyEmulator;

  beforeAll(async () => {
    emulator = await startShopifyEmulator({ objects: 520, randomSeed: 11, rateLimit: null });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('refuses requests without the right X-Shopify-Access-Token with Shopify\'s 401', async () => {
    for (const token of [null, 'shpat_wrong']) {
      const answer = await call(emulator, 'GET', `${API}/customers.json`, { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    }
  });

  it('pages customers with page_info cursors in Link headers, each exactly once, and counts them', async () => {
    const { items, requests } = await listAll(emulator, `${API}/customers.json?limit=250`, 'customers');
    expect(requests).toBe(3);
    expect(items).toHaveLength(520);
    expect(new Set(items.map((c) => c.id)).size).toBe(520);
    expect(items.map((c) => c.id)).toEqual(emulator.objects('customer').map((c) => c.id));
    const count = await call(emulator, 'GET', `${API}/customers/count.json`);
    expect(count.body).toEqual({ count: 520 });
  });

  it('links the previous page too, and the previous page is the one before', async () => {
    const first = await call(emulator, 'GET', `${API}/products.json?limit=100`);
    const second = await call(emulator, 'GET', nextLink(first.headers)!);
    const link = second.headers.get('link')!;
    expect(link).toMatch(/<[^>]+page_info=[A-Za-z0-9_-]+[^>]*>; rel="previous", <[^>]+>; rel="next"/);
    const previousUrl = /<([^>]+)>; rel="previous"/.exec(link)![1]!;
    expect(new URL(previousUrl).searchParams.get('limit')).toBe('100');
    const back = await call(emulator, 'GET', previousUrl);
    expect(back.body.products.map((p: { id: number }) => p.id)).toEqual(first.body.products.map((p: { id: number }) => p.id));
  });

  it('refuses page_info with any parameter but limit and fields, and bad tokens', async () => {
    const first = await call(emulator, 'GET', `${API}/customers.json?limit=10`);
    const next = new URL(nextLink(first.headers)!);
    next.searchParams.set('updated_at_min', '2020-01-01T00:00:00Z');
    const refused = await call(emulator, 'GET', next.href);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ errors: { page_info: 'Invalid value.' } });
    const garbage = await call(emulator, 'GET', `${API}/customers.json?page_info=not-a-token`);
    expect(garbage.status).toBe(400);
    next.searchParams.delete('updated_at_min');
    next.searchParams.set('fields', 'id,email');
    const projected = await call(emulator, 'GET', next.href);
    expect(projected.status).toBe(200);
    expect(Object.keys(projected.body.customers[0]).sort()).toEqual(['email', 'id']);
  });

  it('lists open orders unless status=any', async () => {
    const all = emulator.objects('order');
    const open = all.filter((o) => o.closed_at === null && o.cancelled_at === null);
    expect(open.length).toBeGreaterThan(0);
    expect(open.length).toBeLessThan(all.length);
    expect((await listAll(emulator, `${API}/orders.json?limit=250`, 'orders')).items).toHaveLength(open.length);
    expect((await listAll(emulator, `${API}/orders.json?status=any&limit=250`, 'orders')).items).toHaveLength(all.length);
    expect((await call(emulator, 'GET', `${API}/orders/count.json`)).body.count).toBe(open.length);
    expect((await call(emulator, 'GET', `${API}/orders/count.json?status=any`)).body.count).toBe(all.length);
  });

  it('filters on updated_at_min (inclusive) in updated_at order, through the pages', async () => {
    const all = emulator.objects('customer');
    const times = all.map((c) => Date.parse(c.updated_at as string)).sort((a, b) => a - b);
    const min = times[Math.floor(times.length * 0.6)]!;
    const expected = all.filter((c) => Date.parse(c.updated_at as string) >= min);
    const query = new URLSearchParams({ updated_at_min: new Date(min).toISOString(), order: 'updated_at asc', limit: '50' });
    const { items } = await listAll(emulator, `${API}/customers.json?${query}`, 'customers');
    expect(new Set(items.map((c) => c.id))).toEqual(new Set(expected.map((c) => c.id)));
    const listed = items.map((c) => Date.parse(c.updated_at));
    expect(listed).toEqual([...listed].sort((a, b) => a - b));
  });

  it('writes realistic objects: numeric ids, Shopify times with offsets, nested addresses, line items, variants', () => {
    const [customer] = emulator.objects('customer');
    expect(customer).toMatchObject({ id: expect.any(Number), email: expect.stringContaining('@'), first_name: expect.any(String), admin_graphql_api_id: `gid://shopify/Customer/${customer!.id}` });
    expect(customer!.created_at).toMatch(SHOPIFY_TIME);
    expect((customer!.addresses as unknown[]).length).toBeGreaterThan(0);
    const order = emulator.objects('order').find((o) => o.customer !== null)!;
    expect(order.name).toMatch(/^#\d+$/);
    expect((order.line_items as Array<{ quantity: number }>)[0]!.quantity).toBeGreaterThan(0);
    expect(order.updated_at).toMatch(SHOPIFY_TIME);
    const product = emulator.objects('product')[0]!;
    expect((product.variants as Array<{ product_id: number }>)[0]!.product_id).toBe(product.id);
  });
});

describe('Shopify emulator: writes, events and limits', () => {
  let emulator: ShopifyEmulator;

  beforeAll(async () => {
    emulator = await startShopifyEmulator({ objects: 20, randomSeed: 5 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('creates, updates and deletes customers in {customer} envelopes and writes their events', async () => {
    const created = await call(emulator, 'POST', `${API}/customers.json`, { body: { customer: { first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.com' } } });
    expect(created.status).toBe(201);
    const id = created.body.customer.id as number;
    expect(created.body.customer).toMatchObject({ first_name: 'Grace', email: 'grace@example.com' });

    const taken = await call(emulator, 'POST', `${API}/customers.json`, { body: { customer: { email: 'grace@example.com' } } });
    expect(taken.status).toBe(422);
    expect(taken.body).toEqual({ errors: { email: ['has already been taken'] } });
    const bare = await call(emulator, 'POST', `${API}/customers.json`, { body: { first_name: 'No envelope' } });
    expect(bare.status).toBe(400);

    const updated = await call(emulator, 'PUT', `${API}/customers/${id}.json`, { body: { customer: { id, note: 'VIP' } } });
    expect(updated.status).toBe(200);
    expect(updated.body.customer.note).toBe('VIP');
    expect((await call(emulator, 'GET', `${API}/customers/${id}.json`)).body.customer.note).toBe('VIP');

    const deleted = await call(emulator, 'DELETE', `${API}/customers/${id}.json`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({});
    const gone = await call(emulator, 'GET', `${API}/customers/${id}.json`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ errors: 'Not Found' });

    const destroyed = await call(emulator, 'GET', `${API}/events.json?verb=destroy&filter=Customer&limit=250`);
    expect(destroyed.body.events).toEqual([expect.objectContaining({ subject_id: id, subject_type: 'Customer', verb: 'destroy', created_at: expect.stringMatching(SHOPIFY_TIME) })]);
    const all = await call(emulator, 'GET', `${API}/events.json?filter=Customer&created_at_min=${encodeURIComponent(created.body.customer.created_at)}`);
    expect(all.body.events.filter((e: { subject_id: number }) => e.subject_id === id).map((e: { verb: string }) => e.verb)).toEqual(['destroy', 'update', 'create']);
  });

  it('writes destroy events for random deletes', async () => {
    const made = emulator.mutateRandomly(60);
    expect(made.deleted.length).toBeGreaterThan(0);
    const { items } = await listAll(emulator, `${API}/events.json?verb=destroy&limit=250`, 'events');
    const destroyed = new Set(items.map((e) => String(e.subject_id)));
    for (const id of made.deleted) expect(destroyed).toContain(id);
    for (const kind of emulator.collections) {
      const live = new Set(emulator.objects(kind).map((o) => String(o.id)));
      for (const id of made.deleted) expect(live.has(id)).toBe(false);
    }
  });

  it('reports the leaky bucket in X-Shopify-Shop-Api-Call-Limit and answers 429 with Retry-After past it', async () => {
    emulator.setRateLimit({ requests: 5, windowMs: 2_500 });
    const used: string[] = [];
    let refused: Answer | null = null;
    for (let i = 0; i < 6; i++) {
      const answer = await call(emulator, 'GET', `${API}/products/count.json`);
      if (answer.status === 429) refused = answer;
      else used.push(answer.headers.get('x-shopify-shop-api-call-limit')!);
    }
    expect(used).toEqual(['1/5', '2/5', '3/5', '4/5', '5/5']);
    expect(refused?.status).toBe(429);
    expect(refused?.body).toEqual({ errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused?.headers.get('retry-after')).toMatch(/^\d+\.\d$/);
    emulator.setRateLimit(null);
  });

  it('answers injected faults in Shopify\'s shapes', async () => {
    emulator.setFaults({ rate500: 1 });
    const failed = await call(emulator, 'GET', `${API}/customers.json`);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ errors: 'Internal Server Error' });
    emulator.setFaults({ rate429: 1 });
    const limited = await call(emulator, 'GET', `${API}/customers.json`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    emulator.setFaults({});
  });
});

/** Shopify's scheme, written here on its own: base64 HMAC-SHA256 of the raw body with the app's client secret. */
function signedBy(arrived: ArrivedRequest, secret: string): boolean {
  return arrived.headers.get('x-shopify-hmac-sha256') === createHmac('sha256', secret).update(arrived.rawBody).digest('base64');
}

describe('Shopify emulator: webhooks', () => {
  let emulator: ShopifyEmulator;
  const inbox = new WebhookInbox('/shopify');
  const cliInbox = new WebhookInbox('/shopify');

  beforeAll(async () => {
    await inbox.start();
    await cliInbox.start();
    emulator = await startShopifyEmulator({
      objects: 4,
      randomSeed: 21,
      rateLimit: null,
      shop: 'hooks.myshopify.com',
      webhookUrl: cliInbox.url,
      webhookSecret: 'shpss_conformance_app_secret',
      webhookRetryDelaysMs: [5, 5, 5],
    });
  });
  afterAll(async () => {
    await emulator?.close();
    await inbox.close();
    await cliInbox.close();
  });

  it('creates, lists, counts, reads, updates and deletes subscriptions with Shopify\'s answers and 422s', async () => {
    const created = await call(emulator, 'POST', `${API}/webhooks.json`, { body: { webhook: { topic: 'customers/update', address: inbox.url, format: 'json' } } });
    expect(created.status).toBe(201);
    expect(created.body.webhook).toMatchObject({ topic: 'customers/update', address: inbox.url, format: 'json', fields: [], metafield_namespaces: [], api_version: '2024-10' });
    expect(created.body.webhook.id).toEqual(expect.any(Number));
    expect(created.body.webhook.created_at).toMatch(SHOPIFY_TIME);
    const id = created.body.webhook.id as number;

    const duplicate = await call(emulator, 'POST', `${API}/webhooks.json`, { body: { webhook: { topic: 'customers/update', address: inbox.url, format: 'json' } } });
    expect(duplicate).toMatchObject({ status: 422, body: { errors: { address: ['for this topic has already been taken'] } } });
    const blank = await call(emulator, 'POST', `${API}/webhooks.json`, { body: { webhook: { format: 'json' } } });
    expect(blank).toMatchObject({ status: 422, body: { errors: { topic: ["can't be blank"], address: ["can't be blank"] } } });
    const unknownTopic = await call(emulator, 'POST', `${API}/webhooks.json`, { body: { webhook: { topic: 'customers/explode', address: inbox.url } } });
    expect(unknownTopic.status).toBe(422);
    expect(unknownTopic.body.errors.topic[0]).toMatch(/^Invalid topic specified/);
    expect((await call(emulator, 'POST', `${API}/webhooks.json`, { body: { topic: 'customers/update' } })).status).toBe(400);

    const other = await call(emulator, 'POST', `${API}/webhooks.json`, { body: { webhook: { topic: 'orders/updated', address: 'http://127.0.0.1:9/elsewhere' } } });
    expect(other.status).toBe(201);
    const mine = await call(emulator, 'GET', `${API}/webhooks.json?address=${encodeURIComponent(inbox.url)}`);
    expect(mine.body.webhooks.map((w: { id: number }) => w.id)).toEqual([id]);
    expect((await call(emulator, 'GET', `${API}/webhooks/count.json?topic=orders/updated`)).body).toEqual({ count: 1 });
    expect((await call(emulator, 'GET', `${API}/webhooks/${id}.json`)).body.webhook.topic).toBe('customers/update');
    const moved = await call(emulator, 'PUT', `${API}/webhooks/${other.body.webhook.id}.json`, { body: { webhook: { id: other.body.webhook.id, address: 'http://127.0.0.1:9/moved' } } });
    expect(moved.body.webhook.address).toBe('http://127.0.0.1:9/moved');

    expect(await call(emulator, 'DELETE', `${API}/webhooks/${other.body.webhook.id}.json`)).toMatchObject({ status: 200, body: {} });
    expect(await call(emulator, 'DELETE', `${API}/webhooks/${other.body.webhook.id}.json`)).toMatchObject({ status: 404, body: { errors: 'Not Found' } });
    expect((await call(emulator, 'GET', `${API}/webhooks.json`, { token: 'shpat_wrong' })).status).toBe(401);
  });

  it('sends a change through the API to its subscription and to --webhook-url, signed, with Shopify\'s headers and the resource as body', async () => {
    const [customer] = emulator.objects('customer');
    const before = inbox.arrived.length;
    const updated = await call(emulator, 'PUT', `${API}/customers/${customer!.id}.json`, { body: { customer: { id: customer!.id, note: 'hooked' } } });
    await emulator.webhooks.settled();
    const arrived = inbox.arrived.slice(before);
    expect(arrived).toHaveLength(1);
    const delivery = arrived[0]!;
    expect(signedBy(delivery, 'shpss_conformance_app_secret')).toBe(true);
    expect(delivery.json()).toEqual(updated.body.customer);
    expect(delivery.headers.get('content-type')).toBe('application/json');
    expect(delivery.headers.get('x-shopify-topic')).toBe('customers/update');
    expect(delivery.headers.get('x-shopify-shop-domain')).toBe('hooks.myshopify.com');
    expect(delivery.headers.get('x-shopify-api-version')).toBe('2024-10');
    expect(delivery.headers.get('x-shopify-webhook-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(delivery.headers.get('x-shopify-triggered-at') ?? '')).not.toBeNaN();
    // The same event reaches --webhook-url as its own delivery (another webhook id, the same event id).
    const cli = cliInbox.arrived.find((a) => a.headers.get('x-shopify-event-id') === delivery.headers.get('x-shopify-event-id'))!;
    expect(cli.headers.get('x-shopify-webhook-id')).not.toBe(delivery.headers.get('x-shopify-webhook-id'));
    expect(signedBy(cli, 'shpss_conformance_app_secret')).toBe(true);
  });

  it('sends deletes as {id} and random changes of every kind to --webhook-url, each topic as Shopify names it', async () => {
    const before = cliInbox.arrived.length;
    const made = emulator.mutateRandomly(30);
    expect(made.deleted.length).toBeGreaterThan(0);
    await emulator.webhooks.settled();
    const arrived = cliInbox.arrived.slice(before);
    expect(arrived.every((a) => signedBy(a, 'shpss_conformance_app_secret'))).toBe(true);
    const topics = new Set(arrived.map((a) => a.headers.get('x-shopify-topic')));
    for (const topic of topics) expect(topic).toMatch(/^(customers\/(create|update|delete|enable|disable)|orders\/(create|updated|delete|cancelled|fulfilled|paid)|products\/(create|update|delete))$/);
    const deletes = arrived.filter((a) => a.headers.get('x-shopify-topic')!.endsWith('/delete'));
    expect(deletes.map((a) => String(a.json<{ id: number }>().id)).sort()).toEqual([...made.deleted].sort());
    for (const d of deletes.filter((a) => !a.headers.get('x-shopify-topic')!.startsWith('customers/'))) expect(Object.keys(d.json<object>())).toEqual(['id']);
    const changedIds = new Set(arrived.filter((a) => !a.headers.get('x-shopify-topic')!.endsWith('/delete')).map((a) => String(a.json<{ id: number }>().id)));
    for (const id of [...made.created, ...made.updated]) expect(changedIds.has(id), id).toBe(true);
  });

  it('retries a delivery answered 500 with the same webhook id and body, until a 2xx', async () => {
    const [product] = emulator.objects('product');
    const hook = await call(emulator, 'POST', `${API}/webhooks.json`, { body: { webhook: { topic: 'products/update', address: inbox.url, format: 'json' } } });
    expect(hook.status).toBe(201);
    const before = inbox.arrived.length;
    inbox.answerNext(500, 503);
    await call(emulator, 'PUT', `${API}/products/${product!.id}.json`, { body: { product: { id: product!.id, title: 'Retried' } } });
    await emulator.webhooks.settled();
    const attempts = inbox.arrived.slice(before);
    expect(attempts.map((a) => a.answered)).toEqual([500, 503, 200]);
    expect(new Set(attempts.map((a) => a.headers.get('x-shopify-webhook-id'))).size).toBe(1);
    expect(new Set(attempts.map((a) => a.text)).size).toBe(1);
    expect(attempts.every((a) => signedBy(a, 'shpss_conformance_app_secret'))).toBe(true);
    const log = emulator.webhooks.attempts.filter((a) => a.endpointId === String(hook.body.webhook.id));
    expect(log.map((a) => a.status)).toEqual([500, 503, 200]);
  });
});
