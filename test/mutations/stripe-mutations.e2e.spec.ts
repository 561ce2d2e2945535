import type { Event } from '@event-driven-io/emmett';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { mutationsProjection } from '../../src/projections/mutations.ts';
import type { ReadModelProjection } from '../../src/projections/read-model-projection.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { allRecords, type RecordBody } from '../support/records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';

const POLL_INTERVAL_MS = 500;

describe('Mutations through the Stripe provider: upstream, the stream at once, no duplicate from the next poll', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let syncId: string;
  let consumerId: string;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 5, product: 3, price: 3, subscription: 3 }, randomSeed: 11 });
    // This file's syncs poll faster than the default minimum (1000 ms) to keep it quick.
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
    ({
      sync: { id: syncId },
    } = await createStripeSync(api, emulator, { collections: ['customer', 'product', 'price', 'subscription'], pollIntervalMs: POLL_INTERVAL_MS }));
    await waitForBackfill(api, syncId, 30_000);
    const consumer = await api.post('/v1/http-consumers', { name: 'app', sync_id: syncId, deliver_policy: 'new' });
    expect(consumer.status).toBe(201);
    consumerId = consumer.body.id;
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  const run = (kind: string, collection: string, data: unknown[], extra: Record<string, unknown> = {}) =>
    api.post('/v1/mutations/run', { kind, sync_id: syncId, collection_id: `stripe:${collection}`, data, ...extra });

  /** Every message the consumer has for now, acked. */
  async function drain(): Promise<RecordBody[]> {
    const received: RecordBody[] = [];
    for (;;) {
      const batch = await api.post(`/v1/http-consumers/${consumerId}/next`, { batch_size: 100 });
      expect(batch.status).toBe(200);
      if (batch.body.length === 0) return received;
      received.push(...batch.body.map((m: { record: RecordBody }) => m.record));
      await api.post(`/v1/http-consumers/${consumerId}/ack`, { ack_tokens: batch.body.map((m: { ack_token: string }) => m.ack_token) });
    }
  }

  /** Resolves once the sync polled the events feed for `eventType` `rounds` times after now. */
  async function pollRounds(eventType: string, rounds: number): Promise<void> {
    const since = performance.timeOrigin + performance.now();
    await waitFor(
      async () =>
        emulator.requestLog.filter((e) => e.path === '/v1/events' && e.query.includes(eventType) && e.startedAt > since && e.status === 200).length >= rounds,
      rounds * POLL_INTERVAL_MS + 10_000,
      `${rounds} polls of ${eventType}`,
    );
  }

  const recordsById = async (collection: string) => new Map((await allRecords(api, syncId, `stripe:${collection}`)).map((r) => [r.upstream_id, r]));

  it('creates, updates and deletes customers: upstream, in the stream at once, each change delivered once and never again by a poll', async () => {
    const created = await run('create', 'customer', [{ email: 'ada@example.com', name: 'Ada' }, { email: 'bob@example.com', name: 'Bob', metadata: { tier: 'gold' } }]);
    expect(created.status).toBe(200);
    expect(created.body.data.map((i: { ok: boolean }) => i.ok)).toEqual([true, true]);
    const [ada, bob] = created.body.data.map((i: { record: RecordBody }) => i.record) as RecordBody[];
    expect(ada).toMatchObject({ sync_id: syncId, collection_id: 'stripe:customer', deleted: false, data: { object: 'customer', email: 'ada@example.com', name: 'Ada' } });
    expect(ada!.upstream_id).toMatch(/^cus_/);
    expect(bob!.data.metadata).toEqual({ tier: 'gold' });
    // The record is the object exactly as Stripe has it, and already in the stream.
    const upstream = new Map(emulator.objects('customer').map((o) => [o.id as string, o]));
    expect(ada!.data).toEqual(upstream.get(ada!.upstream_id));
    expect(bob!.data).toEqual(upstream.get(bob!.upstream_id));
    let records = await recordsById('customer');
    expect(records.get(ada!.upstream_id)).toEqual(ada);
    expect(records.get(bob!.upstream_id)).toEqual(bob);
    expect((await drain()).map((r) => r.upstream_id).sort()).toEqual([ada!.upstream_id, bob!.upstream_id].sort());

    const updated = await run('update', 'customer', [{ id: ada!.upstream_id, name: 'Ada Lovelace', metadata: { field: 'math' } }]);
    expect(updated.status).toBe(200);
    const adaV2 = updated.body.data[0].record as RecordBody;
    expect(adaV2.data).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', metadata: { field: 'math' } });
    expect(adaV2.updated_idx).toBeGreaterThan(ada!.updated_idx);
    expect(emulator.objects('customer').find((o) => o.id === ada!.upstream_id)).toEqual(adaV2.data);
    expect(await drain()).toEqual([adaV2]);

    const deleted = await run('delete', 'customer', [{ id: bob!.upstream_id }]);
    expect(deleted.status).toBe(200);
    const tombstone = deleted.body.data[0].record as RecordBody;
    // A tombstone with the last known data, not Stripe's `{id, object, deleted}` stub.
    expect(tombstone).toMatchObject({ upstream_id: bob!.upstream_id, deleted: true, data: { email: 'bob@example.com', name: 'Bob' } });
    expect(emulator.objects('customer').some((o) => o.id === bob!.upstream_id)).toBe(false);
    expect(await drain()).toEqual([tombstone]);

    // Two polls bring the events of these writes: they change nothing.
    await pollRounds('customer.created', 3);
    records = await recordsById('customer');
    expect(records.get(ada!.upstream_id)).toEqual(adaV2);
    expect(records.get(bob!.upstream_id)).toEqual(tombstone);
    expect(await drain()).toEqual([]);
  });

  it('archives a price on delete, cancels a subscription on delete, and creates/updates/deletes products', async () => {
    const product = (await run('create', 'product', [{ name: 'Widget', metadata: { sku: 'w-1' } }])).body.data[0];
    expect(product).toMatchObject({ ok: true, record: { deleted: false, data: { object: 'product', name: 'Widget', active: true } } });
    const productId = product.record.upstream_id as string;

    const price = (await run('create', 'price', [{ product: productId, currency: 'usd', unit_amount: 1200, recurring: { interval: 'month' } }])).body.data[0];
    expect(price).toMatchObject({ ok: true, record: { data: { object: 'price', product: productId, unit_amount: 1200, active: true } } });
    const priceId = price.record.upstream_id as string;
    const archived = (await run('delete', 'price', [{ id: priceId }])).body.data[0];
    expect(archived).toMatchObject({ ok: true, record: { upstream_id: priceId, deleted: false, data: { active: false } } });
    expect(emulator.objects('price').find((p) => p.id === priceId)).toMatchObject({ active: false });

    // Stripe refuses to delete a product that has prices: that item fails, with Stripe's reason.
    const refused = (await run('delete', 'product', [{ id: productId }])).body.data[0];
    expect(refused).toMatchObject({ ok: false, error: { code: expect.any(String), upstream_status: 400 } });
    expect(refused.error.message).toMatch(/prices/);
    const renamed = (await run('update', 'product', [{ id: productId, name: 'Widget 2' }])).body.data[0];
    expect(renamed).toMatchObject({ ok: true, record: { data: { name: 'Widget 2' } } });
    const bare = (await run('create', 'product', [{ name: 'Gone soon' }])).body.data[0].record.upstream_id as string;
    const goneProduct = (await run('delete', 'product', [{ id: bare }])).body.data[0];
    expect(goneProduct).toMatchObject({ ok: true, record: { upstream_id: bare, deleted: true, data: { name: 'Gone soon' } } });

    const subscription = emulator.objects('subscription').find((s) => s.status !== 'canceled')!;
    const tagged = (await run('update', 'subscription', [{ id: subscription.id, metadata: { plan: 'pro' } }])).body.data[0];
    expect(tagged).toMatchObject({ ok: true, record: { data: { metadata: { plan: 'pro' } } } });
    const canceled = (await run('delete', 'subscription', [{ id: subscription.id }])).body.data[0];
    expect(canceled).toMatchObject({ ok: true, record: { upstream_id: subscription.id, deleted: false, data: { status: 'canceled' } } });

    await pollRounds('customer.subscription.created', 3);
    const subscriptions = await recordsById('subscription');
    expect(subscriptions.get(subscription.id as string)).toEqual(canceled.record);
    const prices = await recordsById('price');
    expect(prices.get(priceId)).toEqual(archived.record);
    const products = await recordsById('product');
    expect(products.get(productId)).toEqual(renamed.record);
    expect(products.get(bare)).toEqual(goneProduct.record);
  });

  it('reports the item Stripe refuses and applies the others of the batch', async () => {
    const answer = await run('create', 'customer', [
      { email: 'first@example.com' },
      { email: 'second@example.com', favourite_colour: 'teal' },
      { email: 'third@example.com' },
    ]);
    expect(answer.status).toBe(200);
    const [first, second, third] = answer.body.data;
    expect(first).toMatchObject({ ok: true, record: { data: { email: 'first@example.com' } } });
    expect(second).toEqual({ ok: false, error: { code: 'parameter_unknown', message: expect.stringContaining('favourite_colour'), upstream_status: 400 } });
    expect(third).toMatchObject({ ok: true, record: { data: { email: 'third@example.com' } } });
    const emails = emulator.objects('customer').map((o) => o.email);
    expect(emails).toEqual(expect.arrayContaining(['first@example.com', 'third@example.com']));
    expect(emails).not.toContain('second@example.com');
    // An update of an object Stripe does not have fails alone too.
    const missing = await run('update', 'customer', [{ id: 'cus_doesnotexist', name: 'x' }, { id: first.record.upstream_id, name: 'First' }]);
    expect(missing.body.data[0]).toMatchObject({ ok: false, error: { code: 'resource_missing', upstream_status: 404 } });
    expect(missing.body.data[1]).toMatchObject({ ok: true, record: { data: { name: 'First' } } });
  });

  it('keeps an audit trail per sync: each run with its items requested, applied or failed, and no secrets', async () => {
    const all: Array<Record<string, any>> = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await api.get(`/v1/syncs/${syncId}/mutations?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(all.length).toBeGreaterThanOrEqual(14);
    const batch = all.find((r) => r.items.some((i: { fields: string[] }) => i.fields.includes('favourite_colour')))!;
    expect(batch).toMatchObject({ sync_id: syncId, collection_id: 'stripe:customer', kind: 'create', status: 'completed', attempts: 1, item_count: 3, applied: 2, failed: 1 });
    expect(batch.items.map((i: { status: string }) => i.status)).toEqual(['applied', 'failed', 'applied']);
    expect(batch.items[1]).toMatchObject({ index: 1, upstream_id: null, fields: ['email', 'favourite_colour'], error: { code: 'parameter_unknown', upstream_status: 400 } });
    expect(batch.items[0].updated_idx).toEqual(expect.any(Number));
    expect(batch.items[0].upstream_id).toMatch(/^cus_/);
    // The audit names the fields an item set, never their values, and never the credential.
    const events = await server.app.ctx.pool.query<{ message_data: unknown }>(`SELECT message_data FROM emt_messages WHERE message_type = 'MutationRequested'`);
    const requested = JSON.stringify(events.rows);
    expect(requested).not.toContain('teal');
    expect(requested).not.toContain(emulator.apiKey);
    const other = restClient(server.url, (await api.post('/v1/accounts', { name: 'other' })).body.api_token.token);
    expect((await other.get(`/v1/syncs/${syncId}/mutations`)).status).toBe(404);

    // The audit is a projection: replaying the log rebuilds it identically.
    const dump = async () => {
      const runs = await server.app.ctx.pool.query('SELECT * FROM mutation_runs ORDER BY id');
      const items = await server.app.ctx.pool.query('SELECT * FROM mutation_items ORDER BY run_id, item_index');
      return { runs: runs.rows, items: items.rows };
    };
    const before = await dump();
    await rebuildReadModels(server.app.ctx.pool, [mutationsProjection as unknown as ReadModelProjection<Event>]);
    expect(await dump()).toEqual(before);
  });

  it('answers once the consumers named in await_consumer_ids acked the result, or at the timeout', async () => {
    const awaiter = (await api.post('/v1/http-consumers', { name: 'awaiter', sync_id: syncId, deliver_policy: 'new' })).body.id as string;
    const started = Date.now();
    const unacked = await run('create', 'customer', [{ email: 'await@example.com' }], { await_consumer_ids: [awaiter], await_consumers_timeout: 300 });
    expect(unacked.status).toBe(200);
    expect(unacked.body.awaited_consumers).toEqual([{ consumer_id: awaiter, acked: false }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const customerId = unacked.body.data[0].record.upstream_id as string;

    let stopped = false;
    const ackedIdx: number[] = [];
    const worker = (async () => {
      while (!stopped) {
        const batch = await api.post(`/v1/http-consumers/${awaiter}/next`, { batch_size: 10, wait_for: 100 });
        const mine = batch.body.filter((m: { record: RecordBody }) => m.record.upstream_id === customerId);
        await api.post(`/v1/http-consumers/${awaiter}/ack`, { ack_tokens: batch.body.map((m: { ack_token: string }) => m.ack_token) });
        ackedIdx.push(...mine.map((m: { record: RecordBody }) => m.record.updated_idx));
      }
    })();
    const answer = await run('update', 'customer', [{ id: customerId, name: 'Awaited' }], { await_consumer_ids: [awaiter], await_consumers_timeout: 10_000 });
    stopped = true;
    await worker;
    expect(answer.body.awaited_consumers).toEqual([{ consumer_id: awaiter, acked: true }]);
    expect(ackedIdx).toContain(answer.body.data[0].record.updated_idx);
  });

  it('runs mutations over GraphQL and lists them on the sync', async () => {
    const gql = graphqlClient(server.url, ROOT_TOKEN);
    const answer = await gql(
      `mutation($input: RunMutationInput!) { runMutation(input: $input) {
         runId kind replayed items { ok record { upstreamId updatedIdx deleted data } error { code message upstreamStatus } } } }`,
      { input: { kind: 'create', syncId, collectionId: 'stripe:customer', data: [{ email: 'graph@example.com' }, { email: 'not-an-email' }] } },
    );
    expect(answer.errors).toBeUndefined();
    const result = answer.data.runMutation;
    expect(result).toMatchObject({ kind: 'create', replayed: false });
    expect(result.items[0]).toMatchObject({ ok: true, error: null, record: { deleted: false, data: { email: 'graph@example.com' } } });
    expect(result.items[0].record.upstreamId).toMatch(/^cus_/);
    expect(result.items[1]).toMatchObject({ ok: false, record: null, error: { code: 'email_invalid', upstreamStatus: 400 } });

    const listed = await gql(`query($id: ID!) { sync(id: $id) { mutations(last: 1) { edges { node { uuid kind status failedCount items { index status fields record { upstreamId } error { code } } } } } } }`, {
      id: syncId,
    });
    expect(listed.errors).toBeUndefined();
    expect(listed.data.sync.mutations.edges[0].node).toEqual({
      uuid: result.runId,
      kind: 'create',
      status: 'completed',
      failedCount: 1,
      items: [
        { index: 0, status: 'applied', fields: ['email'], record: { upstreamId: result.items[0].record.upstreamId }, error: null },
        { index: 1, status: 'failed', fields: ['email'], record: null, error: { code: 'email_invalid' } },
      ],
    });

    const invalid = await gql(`mutation($input: RunMutationInput!) { runMutation(input: $input) { runId } }`, {
      input: { kind: 'upsert', syncId, collectionId: 'stripe:customer', data: [{}] },
    });
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'validation_failed', status: 400 });
  });
});
