import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient, type ApiAnswer, type RestClient } from '../support/api.ts';
import { createSeedableSync } from '../support/nats.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';
import { recordKey, WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Webhook consumers end to end (DESIGN.md §7b, issue 23): a real server with records, its sink
 * runner POSTing to Standard-Webhooks-verifying receivers on 127.0.0.1; status, delivery log, dead
 * letters and their redelivery, resets, filters and account isolation over REST and GraphQL.
 */

const CUSTOMERS = 30;
const INVOICES = 10;
const REPOSITORIES = 5;

interface Consumer {
  id: string;
  name: string;
  secret: string;
}

describe('webhook consumers deliver (sink runner, real HTTP)', () => {
  let server: TestServer;
  let api: RestClient;
  let other: RestClient;
  let gql: ReturnType<typeof graphqlClient>;
  let otherGql: ReturnType<typeof graphqlClient>;
  let stripe: { syncId: string; streamId: string };
  let githubSyncId: string;
  const receivers: WebhookReceiver[] = [];

  /** The stream's records (latest versions) of a selection, as `sync/collection/upstream` keys. */
  async function recordKeys(where: { syncId?: string; collectionId?: string; provider?: string }): Promise<string[]> {
    const { rows } = await server.app.ctx.pool.query<{ sync_id: string; collection_id: string; upstream_id: string }>(
      `SELECT sync_id, collection_id, upstream_id FROM records WHERE stream_id = $1
         AND ($2::uuid IS NULL OR sync_id = $2) AND ($3::text IS NULL OR collection_id = $3) AND ($4::text IS NULL OR split_part(collection_id, ':', 1) = $4)`,
      [stripe.streamId, where.syncId ?? null, where.collectionId ?? null, where.provider ?? null],
    );
    return rows.map(recordKey).sort();
  }

  const receivedKeys = (receiver: WebhookReceiver) => [...receiver.latestByKey().keys()].sort();

  /** A receiver that answers 500 until the consumer's secret is known, so every delivery it takes is verified. */
  async function startReceiver(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.start();
    await receiver.setMode('fail500');
    receivers.push(receiver);
    return receiver;
  }

  async function createConsumer(receiver: WebhookReceiver, body: Record<string, unknown>, mode: 'ok' | 'fail400' = 'ok'): Promise<Consumer> {
    const created = await api.post('/v1/webhook-consumers', { url: receiver.url, ...body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    receiver.verifyWith(created.body.secret);
    await receiver.setMode(mode);
    return created.body;
  }

  const status = async (id: string) => (await api.get(`/v1/webhook-consumers/${id}`)).body;
  const caughtUp = (id: string, what: string) =>
    waitFor(async () => {
      const answer = await status(id);
      return answer.lag === 0 && answer.last_delivered_at !== null && answer.state === 'connected' ? answer : null;
    }, 20_000, what);

  async function allPages(path: string, limit: number): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const answer: ApiAnswer<{ data: Record<string, unknown>[]; next_cursor: string | null }> = await api.get(`${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      items.push(...answer.body.data);
      cursor = answer.body.next_cursor;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    const token = (await root.post('/v1/accounts', { name: 'webhook-delivery' })).body.api_token.token;
    const otherToken = (await root.post('/v1/accounts', { name: 'webhook-delivery-other' })).body.api_token.token;
    api = restClient(server.url, token);
    other = restClient(server.url, otherToken);
    gql = graphqlClient(server.url, token);
    otherGql = graphqlClient(server.url, otherToken);
    stripe = await createSeedableSync(api, ['stripe:customer', 'stripe:invoice']);
    const github = await api.post('/v1/syncs', {
      provider: 'github',
      name: 'repositories',
      stream_id: stripe.streamId,
      collection_ids: ['github:repository'],
      credential: { properties: { kind: 'github', secret: 'ghp_webhook_delivery_0123456789' } },
    });
    expect(github.status, JSON.stringify(github.body)).toBe(201);
    githubSyncId = github.body.id;
    const ctx = server.app.ctx;
    await seedRecords(ctx, { ...stripe, collectionId: 'stripe:customer' }, Array.from({ length: CUSTOMERS }, (_, i) => ({ id: `cus_${i}`, data: { id: `cus_${i}`, name: `Customer ${i}` } })));
    await seedRecords(ctx, { ...stripe, collectionId: 'stripe:invoice' }, Array.from({ length: INVOICES }, (_, i) => ({ id: `in_${i}`, data: { id: `in_${i}`, total: i * 100 } })));
    await seedRecords(
      ctx,
      { syncId: githubSyncId, streamId: stripe.streamId, collectionId: 'github:repository' },
      Array.from({ length: REPOSITORIES }, (_, i) => ({ id: `repo_${i}` })),
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    for (const receiver of receivers) await receiver.close();
  });

  let main: Consumer;
  let mainReceiver: WebhookReceiver;

  it('delivers every record of its sync, signed; the status shows it caught up; the delivery log lists the attempts', async () => {
    mainReceiver = await startReceiver();
    main = await createConsumer(mainReceiver, { name: 'billing', sync_id: stripe.syncId, batch_size: 10 });
    const expected = await recordKeys({ syncId: stripe.syncId });
    expect(expected).toHaveLength(CUSTOMERS + INVOICES);
    await waitFor(async () => receivedKeys(mainReceiver).length === expected.length, 20_000, 'every record delivered');
    expect(receivedKeys(mainReceiver)).toEqual(expected);
    expect(mainReceiver.badSignatures).toEqual([]);
    expect(mainReceiver.outOfOrder()).toEqual([]);

    const caught = await caughtUp(main.id, 'lag 0');
    expect(caught).toMatchObject({ state: 'connected', lag: 0, lag_seconds: 0, last_error: null });
    expect(Date.parse(caught.last_delivered_at)).toBeGreaterThan(Date.now() - 60_000);
    const listed = (await api.get('/v1/webhook-consumers')).body.data.find((c: { id: string }) => c.id === main.id);
    expect(listed).toMatchObject({ state: 'connected', lag: 0, last_delivered_at: caught.last_delivered_at, last_error: null });

    // The log: newest first, every attempt (the 500s answered before the secret was known included).
    const attempts = await allPages(`/v1/webhook-consumers/${main.id}/deliveries`, 3);
    const times = attempts.map((a) => Date.parse(a.at as string));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const delivered = attempts.filter((a) => a.error === null);
    expect(delivered.map((a) => a.status)).toEqual(delivered.map(() => 204));
    expect(delivered.reduce((sum, a) => sum + (a.batch_size as number), 0)).toBe(CUSTOMERS + INVOICES);
    expect(new Set(delivered.map((a) => a.webhook_id))).toEqual(new Set(mainReceiver.delivered.map((d) => d.webhookId)));
    for (const attempt of delivered) expect(attempt).toEqual({ at: expect.any(String), webhook_id: expect.stringMatching(/^msg_/), batch_size: 10, status: 204, latency_ms: expect.any(Number), error: null, response_excerpt: '' });
    for (const refused of attempts.filter((a) => a.error !== null)) expect(refused).toMatchObject({ status: 500, response_excerpt: 'receiver down for maintenance' });
    // By name, under the alias path too.
    const byName = await api.get(`/v1/webhook_consumers/${main.name}/deliveries?limit=2`);
    expect(byName.body.data).toEqual(attempts.slice(0, 2));
    for (const bad of ['limit=0', 'limit=1001', 'cursor=not-a-cursor']) {
      const answer = await api.get(`/v1/webhook-consumers/${main.id}/deliveries?${bad}`);
      expect([bad, answer.status]).toEqual([bad, 400]);
    }

    const graph = await gql(
      `query($id: ID!) { webhookConsumer(id: $id) { state lag lagSeconds lastDeliveredAt lastError { message at }
         deliveries(first: 2) { nodes { at webhookId batchSize status latencyMs error responseExcerpt } nextCursor } } }`,
      { id: main.id },
    );
    expect(graph.errors).toBeUndefined();
    expect(graph.data.webhookConsumer).toMatchObject({ state: 'connected', lag: 0, lagSeconds: 0, lastDeliveredAt: caught.last_delivered_at, lastError: null });
    expect(graph.data.webhookConsumer.deliveries.nodes).toEqual(
      attempts.slice(0, 2).map((a) => ({
        at: a.at,
        webhookId: a.webhook_id,
        batchSize: a.batch_size,
        status: a.status,
        latencyMs: a.latency_ms,
        error: a.error,
        responseExcerpt: a.response_excerpt,
      })),
    );
    expect(graph.data.webhookConsumer.deliveries.nextCursor).toEqual(expect.any(String));

    // Changes after the backlog arrive as they are written.
    await seedRecords(server.app.ctx, { ...stripe, collectionId: 'stripe:customer' }, [{ id: 'cus_3', data: { id: 'cus_3', name: 'Renamed' } }, { id: 'cus_4', deleted: true }]);
    await waitFor(async () => mainReceiver.latestByKey().get(`${stripe.syncId}/stripe:customer/cus_4`)?.deleted === true, 10_000, 'the tombstone');
    expect(mainReceiver.latestByKey().get(`${stripe.syncId}/stripe:customer/cus_3`)?.data).toEqual({ id: 'cus_3', name: 'Renamed' });
    // Each delivered record is the record as REST answers it (DESIGN.md §2), field for field.
    const page = (await api.get(`/v1/syncs/${stripe.syncId}/records?collection_id=stripe:customer&limit=1000`)).body.data as Array<{ upstream_id: string }>;
    for (const id of ['cus_3', 'cus_4', 'cus_7']) expect(mainReceiver.latestByKey().get(`${stripe.syncId}/stripe:customer/${id}`)).toEqual(page.find((r) => r.upstream_id === id));
  });

  it('honours the filters: collections, provider, the whole stream', async () => {
    const selections = [
      { body: { collection_ids: ['stripe:invoice'] }, keys: () => recordKeys({ collectionId: 'stripe:invoice' }) },
      { body: { provider: 'github' }, keys: () => recordKeys({ provider: 'github' }) },
      { body: { provider: 'stripe' }, keys: () => recordKeys({ provider: 'stripe' }) },
      { body: {}, keys: () => recordKeys({}) },
    ];
    const started = await Promise.all(
      selections.map(async (selection, i) => {
        const receiver = await startReceiver();
        const consumer = await createConsumer(receiver, { name: `filtered-${i}`, stream_id: stripe.streamId, batch_size: 100, ...selection.body });
        return { consumer, receiver, expected: await selection.keys() };
      }),
    );
    expect(started.map((s) => s.expected.length)).toEqual([INVOICES, REPOSITORIES, CUSTOMERS + INVOICES, CUSTOMERS + INVOICES + REPOSITORIES]);
    for (const { consumer, receiver, expected } of started) {
      await caughtUp(consumer.id, `${consumer.name} caught up`);
      expect([consumer.name, receivedKeys(receiver)]).toEqual([consumer.name, expected]);
      expect(receiver.badSignatures).toEqual([]);
    }
  });

  it('dead-letters the records of a batch the receiver refuses max_deliver times, lists them, and redelivers them once it is fixed', async () => {
    const receiver = await startReceiver();
    const refused = await createConsumer(receiver, { name: 'refused', sync_id: stripe.syncId, collection_ids: ['stripe:invoice'], batch_size: 5, max_deliver: 2 }, 'fail400');
    const path = `/v1/webhook-consumers/${refused.id}/dead-letters`;
    const letters = await waitFor(
      async () => {
        const answer = await allPages(path, 3);
        return answer.length === INVOICES ? answer : null;
      },
      20_000,
      'ten dead letters',
    );
    const invoices = (await server.app.ctx.pool.query<{ upstream_id: string; updated_idx: string }>(`SELECT upstream_id, updated_idx FROM records WHERE sync_id = $1 AND collection_id = 'stripe:invoice'`, [stripe.syncId])).rows;
    expect(letters.map((l) => l.upstream_id).sort()).toEqual(invoices.map((r) => r.upstream_id).sort());
    for (const letter of letters) {
      expect(letter).toEqual({
        sync_id: stripe.syncId,
        collection_id: 'stripe:invoice',
        upstream_id: expect.any(String),
        updated_idx: Number(invoices.find((r) => r.upstream_id === letter.upstream_id)!.updated_idx),
        webhook_id: expect.stringMatching(/^msg_/),
        attempts: 2,
        last_error: expect.stringContaining('400'),
        first_attempt_at: expect.any(String),
        last_attempt_at: expect.any(String),
        dead_at: expect.any(String),
        redelivery_pending: false,
      });
    }
    const deadTimes = letters.map((l) => Date.parse(l.dead_at as string));
    expect(deadTimes).toEqual([...deadTimes].sort((a, b) => b - a));
    // Delivery went on behind them: nothing is left to deliver, and nothing was delivered.
    const behind = await waitFor(async () => {
      const answer = await status(refused.id);
      return answer.lag === 0 ? answer : null;
    }, 10_000, 'the position past the dead letters');
    expect(behind.last_delivered_at).toBeNull();
    const attempts = await allPages(`/v1/webhook-consumers/${refused.id}/deliveries`, 100);
    expect(attempts).toHaveLength(4);
    for (const attempt of attempts) expect(attempt).toMatchObject({ status: 400, batch_size: 5, error: expect.stringContaining('400'), response_excerpt: '{"error":"unexpected payload"}' });

    const graph = await gql(
      `query($id: ID!, $after: String) { webhookConsumer(id: $id) { state lastError { message }
         deadLetters(first: 6, after: $after) { nodes { syncId collectionId upstreamId updatedIdx webhookId attempts lastError firstAttemptAt lastAttemptAt deadAt } nextCursor } } }`,
      { id: refused.id },
    );
    expect(graph.errors).toBeUndefined();
    const firstPage = graph.data.webhookConsumer.deadLetters;
    expect(firstPage.nodes).toHaveLength(6);
    const secondPage = (await gql(`query($id: ID!, $after: String) { webhookConsumer(id: $id) { deadLetters(first: 6, after: $after) { nodes { upstreamId } nextCursor } } }`, { id: refused.id, after: firstPage.nextCursor })).data
      .webhookConsumer.deadLetters;
    expect(secondPage).toEqual({ nodes: letters.slice(6).map((l) => ({ upstreamId: l.upstream_id })), nextCursor: null });
    expect(firstPage.nodes[0]).toEqual({
      syncId: letters[0]!.sync_id,
      collectionId: 'stripe:invoice',
      upstreamId: letters[0]!.upstream_id,
      updatedIdx: String(letters[0]!.updated_idx),
      webhookId: letters[0]!.webhook_id,
      attempts: 2,
      lastError: letters[0]!.last_error,
      firstAttemptAt: letters[0]!.first_attempt_at,
      lastAttemptAt: letters[0]!.last_attempt_at,
      deadAt: letters[0]!.dead_at,
    });

    // Exactly one of upstream_ids and all.
    const redeliver = `${path}/redeliver`;
    for (const body of [{}, { all: true, upstream_ids: ['in_1'] }, { upstream_ids: [] }, { all: false }, { upstream_ids: Array.from({ length: 1001 }, (_, i) => `in_${i}`) }, { every: true }]) {
      const answer = await api.post(redeliver, body);
      expect([JSON.stringify(body).slice(0, 40), answer.status, answer.body.error?.code]).toEqual([JSON.stringify(body).slice(0, 40), 400, 'validation_failed']);
    }
    const neither = await gql(`mutation($id: ID!) { redeliverWebhookDeadLetters(id: $id) }`, { id: refused.id });
    expect(neither.errors?.[0]?.extensions).toMatchObject({ code: 'validation_failed', status: 400 });

    await receiver.setMode('ok');
    expect((await api.post(redeliver, { upstream_ids: ['in_1', 'not-dead'] })).body).toEqual({ requested: 1 });
    await waitFor(async () => receiver.latestByKey().has(`${stripe.syncId}/stripe:invoice/in_1`), 10_000, 'in_1 redelivered');
    await waitFor(async () => (await allPages(path, 100)).length === INVOICES - 1, 10_000, 'in_1 no longer a dead letter');

    const all = await gql(`mutation($id: ID!) { redeliverWebhookDeadLetters(id: $id, all: true) }`, { id: refused.id });
    expect(all).toEqual({ data: { redeliverWebhookDeadLetters: INVOICES - 1 } });
    await waitFor(async () => receiver.latestByKey().size === INVOICES, 10_000, 'every invoice redelivered');
    expect(receivedKeys(receiver)).toEqual(await recordKeys({ collectionId: 'stripe:invoice' }));
    expect(receiver.badSignatures).toEqual([]);
    await waitFor(async () => (await allPages(path, 100)).length === 0, 10_000, 'no dead letter left');
    await waitFor(async () => {
      const answer = await status(refused.id);
      return answer.state === 'connected' && answer.last_error === null && answer.last_delivered_at !== null;
    }, 10_000, 'the status cleared');
    expect((await api.post(redeliver, { all: true })).body).toEqual({ requested: 0 });
  });

  it('replays on a reset back, and skips on a reset ahead (REST and GraphQL take the same reset input)', async () => {
    const before = mainReceiver.delivered.length;
    const reset = await api.post(`/v1/webhook-consumers/${main.id}/reset`, { deliver_policy: 'all' });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ reset_count: 1, deliver_policy: 'all' });
    const expected = await recordKeys({ syncId: stripe.syncId });
    await waitFor(
      async () => new Set(mainReceiver.delivered.slice(before).flatMap((d) => d.records.map(recordKey))).size === expected.length,
      20_000,
      'every record delivered again',
    );
    expect(mainReceiver.outOfOrder()).toEqual([]);
    expect(mainReceiver.badSignatures).toEqual([]);
    await caughtUp(main.id, 'caught up after the replay');

    const skipped = await gql(`mutation($id: ID!, $input: ConsumerResetInput!) { resetWebhookConsumer(id: $id, input: $input) { resetCount deliverPolicy lag } }`, {
      id: main.id,
      input: { deliverPolicy: 'new' },
    });
    expect(skipped).toEqual({ data: { resetWebhookConsumer: { resetCount: 2, deliverPolicy: 'new', lag: 0 } } });
    const bad = await gql(`mutation($id: ID!) { resetWebhookConsumer(id: $id, input: { deliverPolicy: "by_start_idx" }) { resetCount } }`, { id: main.id });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_start_position', status: 422 });
  });

  it("answers another account 404 on a consumer's deliveries, dead letters and redelivery", async () => {
    for (const ref of [main.id, main.name]) {
      for (const base of ['/v1/webhook-consumers', '/v1/webhook_consumers']) {
        expect((await other.get(`${base}/${ref}/deliveries`)).status).toBe(404);
        expect((await other.get(`${base}/${ref}/dead-letters`)).status).toBe(404);
        const redeliver = await other.post(`${base}/${ref}/dead-letters/redeliver`, { all: true });
        expect([redeliver.status, redeliver.body.error.code]).toEqual([404, 'not_found']);
      }
    }
    expect((await otherGql(`query($id: ID!) { webhookConsumer(id: $id) { deliveries { nodes { webhookId } } } }`, { id: main.id })).data.webhookConsumer).toBeNull();
    const foreign = await otherGql(`mutation($id: ID!) { redeliverWebhookDeadLetters(id: $id, all: true) }`, { id: main.id });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('not_found');
    expect((await api.get('/v1/webhook-consumers/00000000-0000-4000-8000-000000000000/deliveries')).status).toBe(404);
  });
});
