import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import type { NatsConnection } from 'nats';
import pg from 'pg';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addStream, connectNats, deleteStream, readStream, SHARED_NATS, streamMessageCount, uniqueName } from '../support/nats.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { WebhookReceiver, type ReceiverMode } from '../support/webhook-receiver.ts';
import { webhookSinkKind } from '../../src/consumers/webhook/kind.ts';

/** A change event as every consumer kind delivers it (docs/DELIVERY.md, "Change events"). */
type ChangeEvent = { action: string; changes: Record<string, unknown> | null; record: { upstream_id: string; updated_idx: number; deleted: boolean; data: Record<string, unknown> } };

/**
 * Issue 28's acceptance, against the Stripe emulator: a subscription created in trial, whose
 * status changes twice (trial ended, then canceled by `DELETE /v1/subscriptions/:id`) with a
 * metadata-only change between, and a customer deleted upstream. Stripe keeps a canceled
 * subscription (`status: canceled`, an update, never a tombstone: src/sync/providers/stripe/collections.ts),
 * so the `deleted` action is the customer's.
 */
describe('change events from a Stripe sync, for every consumer kind (HTTP pull, graphql-ws, NATS, webhook, PostgreSQL)', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let token: string;
  let sync: { id: string; stream_id: string };
  let subscriptionId: string;
  let customerGone: string;
  const graphqlEvents: ChangeEvent[] = [];
  const graphqlStatusEvents: ChangeEvent[] = [];
  let ws: Client;
  let nc: NatsConnection;
  const natsStreams: string[] = [];
  const receivers: WebhookReceiver[] = [];
  let target: TestDatabase | undefined;
  let targetDb: pg.Client | undefined;

  const subscriptionRecord = async () => {
    const page = await api.get(`/v1/syncs/${sync.id}/records?collection_id=stripe:subscription&limit=100`);
    return (page.body.data as ChangeEvent['record'][]).find((r) => r.upstream_id === subscriptionId);
  };
  /** Each upstream change is synced before the next is made: one version each (polling would coalesce them). */
  const synced = (what: string, probe: (record: ChangeEvent['record']) => boolean) =>
    waitFor(async () => {
      const record = await subscriptionRecord();
      return record !== undefined && probe(record);
    }, 30_000, what);

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 2, product: 1 }, randomSeed: 28 });
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    token = (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'change-events' })).body.api_token.token;
    api = restClient(server.url, token);
    ({ sync } = await createStripeSync(api, emulator, { collections: ['customer', 'subscription'], pollIntervalMs: 200 }));
    await waitFor(async () => (await api.get(`/v1/syncs/${sync.id}/status`)).body.collections.every((c: { backfill: { done: boolean } }) => c.backfill.done), 30_000, 'backfill');

    // Consumers created before the changes (graphql-ws from the head); the others replay with deliver_policy all.
    ws = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
    const subscribe = (changedFields: string[] | null, into: ChangeEvent[]) =>
      ws.subscribe(
        {
          query: `subscription($s: ID!, $f: [String!]) { recordEvent(streamId: $s, changedFields: $f, collectionIds: ["stripe:subscription", "stripe:customer"]) {
                    action changes occurredAt record { upstreamId updatedIdx deleted data } } }`,
          variables: { s: sync.stream_id, f: changedFields },
        },
        {
          next: (value: any) => {
            const e = value.data.recordEvent;
            into.push({ action: e.action, changes: e.changes, record: { upstream_id: e.record.upstreamId, updated_idx: Number(e.record.updatedIdx), deleted: e.record.deleted, data: e.record.data } });
          },
          error: (e) => console.error(e),
          complete: () => undefined,
        },
      );
    subscribe(null, graphqlEvents);
    subscribe(['status'], graphqlStatusEvents);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the subscriptions start at the head

    const customers = emulator.objects('customer');
    const customer = customers[0]!.id as string;
    customerGone = customers[1]!.id as string;
    const product = emulator.objects('product')[0]!.id as string;
    const price = emulator.change('POST', '/v1/prices', `currency=usd&unit_amount=1500&recurring[interval]=month&product=${product}`).id as string;
    subscriptionId = emulator.change('POST', '/v1/subscriptions', `customer=${customer}&items[0][price]=${price}&trial_period_days=14`).id as string;
    await synced('the subscription in trial', (r) => r.data.status === 'trialing');
    emulator.change('POST', `/v1/subscriptions/${subscriptionId}`, 'trial_end=now');
    await synced('the trial ended', (r) => r.data.status === 'active');
    emulator.change('POST', `/v1/subscriptions/${subscriptionId}`, 'metadata[plan]=pro');
    await synced('the metadata change', (r) => (r.data.metadata as Record<string, unknown>).plan === 'pro');
    emulator.change('DELETE', `/v1/subscriptions/${subscriptionId}`);
    await synced('the cancellation', (r) => r.data.status === 'canceled');
    emulator.change('DELETE', `/v1/customers/${customerGone}`);
    await waitFor(async () => (await api.get(`/v1/syncs/${sync.id}/records?collection_id=stripe:customer&limit=100`)).body.data.some((r: ChangeEvent['record']) => r.upstream_id === customerGone && r.deleted), 30_000, 'the customer deleted');
  }, 180_000);
  afterAll(async () => {
    for (const name of natsStreams) await deleteStream(nc, name);
    await nc?.close();
    for (const receiver of receivers) await receiver.close();
    await targetDb?.end();
    await ws?.dispose();
    await server?.stop();
    await emulator?.close();
    await target?.drop();
  });

  /** How many versions the stream holds of the subscription and the customer: every one is an event. */
  const versionCount = async () =>
    (await server.app.ctx.pool.query('SELECT count(*)::int AS n FROM record_versions WHERE stream_id = $1 AND collection_id = ANY($2)', [sync.stream_id, ['stripe:subscription', 'stripe:customer']])).rows[0].n as number;

  /** The subscription's events: action and the change of status (the acceptance's sequence). */
  const subscriptionStory = (events: ChangeEvent[]) =>
    events.filter((e) => e.record.upstream_id === subscriptionId).map((e) => [e.action, e.changes === null ? null : (e.changes.status ?? '(other fields)'), e.record.data.status]);
  const customerStory = (events: ChangeEvent[]) => events.filter((e) => e.record.upstream_id === customerGone).map((e) => e.action);
  const inOrder = (events: ChangeEvent[]) => {
    const positions = events.map((e) => e.record.updated_idx);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  };
  /** Each record's events in order (an HTTP consumer leases a record's next version once the one before is acked). */
  const inOrderPerRecord = (events: ChangeEvent[]) => {
    for (const id of new Set(events.map((e) => e.record.upstream_id))) inOrder(events.filter((e) => e.record.upstream_id === id));
  };

  const EXPECTED_ALL = [
    ['inserted', null, 'trialing'],
    ['updated', 'trialing', 'active'],
    ['updated', '(other fields)', 'active'],
    ['updated', 'active', 'canceled'],
  ];
  const EXPECTED_STATUS = [EXPECTED_ALL[0], EXPECTED_ALL[1], EXPECTED_ALL[3]];

  async function drainHttp(body: Record<string, unknown>): Promise<ChangeEvent[]> {
    const created = await api.post('/v1/http-consumers', { sync_id: sync.id, message_kind: 'event', ...body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const seen: ChangeEvent[] = [];
    for (;;) {
      const batch = await api.post(`/v1/http-consumers/${created.body.id}/next`, { batch_size: 3 });
      if (batch.body.length === 0) return seen;
      seen.push(...batch.body);
      await api.post(`/v1/http-consumers/${created.body.id}/ack`, { ack_tokens: batch.body.map((m: { ack_token: string }) => m.ack_token) });
    }
  }

  it('HTTP pull: inserted → updated (status was trialing) → updated → updated (status was active); changed_fields status leaves out the metadata change', async () => {
    const all = await drainHttp({ name: 'http-events' });
    expect(subscriptionStory(all)).toEqual(EXPECTED_ALL);
    expect(all.find((e) => e.record.upstream_id === subscriptionId && e.action === 'updated')!.changes).toMatchObject({ status: 'trialing' });
    expect(customerStory(all)).toEqual(['inserted', 'deleted']);
    inOrderPerRecord(all);
    expect(new Set(all.map((e) => e.record.updated_idx)).size).toBe(all.length);
    const status = await drainHttp({ name: 'http-status', changed_fields: ['status'] });
    expect(subscriptionStory(status)).toEqual(EXPECTED_STATUS);
    expect(customerStory(status)).toEqual(['inserted', 'deleted']);
  });

  it('graphql-ws recordEvent: the same events live, with the same filter', async () => {
    await waitFor(async () => customerStory(graphqlEvents).includes('deleted'), 10_000, 'the live events');
    expect(subscriptionStory(graphqlEvents)).toEqual(EXPECTED_ALL);
    expect(customerStory(graphqlEvents)).toEqual(['deleted']); // the customer was inserted before the subscription began
    inOrder(graphqlEvents);
    await waitFor(async () => customerStory(graphqlStatusEvents).includes('deleted'), 10_000, 'the live status events');
    expect(subscriptionStory(graphqlStatusEvents)).toEqual(EXPECTED_STATUS);
  });

  /** A NATS consumer into a JetStream stream made as the NATS seed recommends (one message per subject, discard old). */
  async function natsConsumer(body: Record<string, unknown>) {
    nc ??= await connectNats(SHARED_NATS);
    const prefix = uniqueName('events').replace(/-/g, '_');
    const stream = prefix.toUpperCase();
    await addStream(nc, stream, prefix, { latestOnly: true });
    natsStreams.push(stream);
    const created = await api.post('/v1/nats_consumers', { name: prefix, sync_id: sync.id, subject_prefix: prefix, nats: SHARED_NATS, ...body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { stream, prefix };
  }

  it('NATS: every event on a subject of its own, so a max-msgs-per-subject=1 stream keeps the whole history; records keep only the latest', async () => {
    const events = await natsConsumer({ message_kind: 'event', collection_ids: ['stripe:subscription', 'stripe:customer'] });
    const status = await natsConsumer({ message_kind: 'event', changed_fields: ['status'], collection_ids: ['stripe:subscription'] });
    const records = await natsConsumer({ collection_ids: ['stripe:subscription'] });
    const versions = (await server.app.ctx.pool.query('SELECT count(*)::int AS n FROM record_versions WHERE stream_id = $1 AND collection_id = ANY($2)', [sync.stream_id, ['stripe:subscription', 'stripe:customer']])).rows[0].n as number;
    await waitFor(async () => (await streamMessageCount(nc, events.stream)) === versions, 30_000, 'every event in JetStream');
    const stored = await readStream(nc, events.stream);
    const published = stored.map((m) => m.record as unknown as ChangeEvent);
    expect(subscriptionStory(published)).toEqual(EXPECTED_ALL);
    expect(customerStory(published)).toEqual(['inserted', 'deleted']);
    inOrder(published);
    const first = stored.find((m) => (m.record as unknown as ChangeEvent).record.upstream_id === subscriptionId)!;
    expect(first.subject).toBe(`${events.prefix}.${sync.id}.stripe:subscription.inserted.${subscriptionId}.${(first.record as unknown as ChangeEvent).record.updated_idx}`);
    expect(first.msgId).toMatch(/^event:/);

    await waitFor(async () => subscriptionStory((await readStream(nc, status.stream)).map((m) => m.record as unknown as ChangeEvent)).length === 3, 30_000, 'the status events');
    expect(subscriptionStory((await readStream(nc, status.stream)).map((m) => m.record as unknown as ChangeEvent))).toEqual(EXPECTED_STATUS);

    await waitFor(async () => (await readStream(nc, records.stream)).some((m) => m.record.upstream_id === subscriptionId && (m.record.data as Record<string, unknown>).status === 'canceled'), 30_000, 'the records');
    const latest = (await readStream(nc, records.stream)).filter((m) => m.record.upstream_id === subscriptionId);
    expect(latest).toHaveLength(1);
  });

  it('npm run rebuild-projections yields the same events', async () => {
    const before = await drainHttp({ name: 'before-rebuild' });
    await rebuildReadModels(server.app.ctx.pool, readModelProjections);
    const after = await drainHttp({ name: 'after-rebuild' });
    const strip = (events: ChangeEvent[]) => events.map(({ action, changes, record }) => ({ action, changes, record }));
    expect(strip(after)).toEqual(strip(before));
    expect(subscriptionStory(after)).toEqual(EXPECTED_ALL);
  });

  /** A webhook consumer of change events to a receiver that verifies each delivery with the standardwebhooks package. */
  async function webhookConsumer(body: Record<string, unknown>, mode: ReceiverMode = 'ok') {
    const receiver = new WebhookReceiver();
    await receiver.start();
    await receiver.setMode(mode);
    receivers.push(receiver);
    const created = await api.post('/v1/webhook-consumers', { url: receiver.url, sync_id: sync.id, message_kind: 'event', collection_ids: ['stripe:subscription', 'stripe:customer'], ...body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    receiver.verifyWith(created.body.secret);
    const events = () => receiver.delivered.flatMap((d) => d.records as unknown as ChangeEvent[]);
    return { receiver, consumer: created.body, events };
  }

  it('webhook: signed POSTs of {"data": [event, …]} in order; changed_fields status leaves out the metadata change', async () => {
    const all = await webhookConsumer({ name: 'webhook-events', batch_size: 2, max_in_flight: 4 });
    expect(all.consumer).toMatchObject({ message_kind: 'event', actions: null, changed_fields: null });
    const status = await webhookConsumer({ name: 'webhook-status', changed_fields: ['status'] });
    expect(status.consumer).toMatchObject({ message_kind: 'event', changed_fields: ['status'] });
    const versions = await versionCount();
    await waitFor(async () => all.events().length >= versions, 30_000, 'every event POSTed');
    expect(all.receiver.badSignatures).toEqual([]);
    expect(all.events()).toHaveLength(versions);
    expect(subscriptionStory(all.events())).toEqual(EXPECTED_ALL);
    expect(all.events().find((e) => e.record.upstream_id === subscriptionId && e.action === 'updated')!.changes).toMatchObject({ status: 'trialing' });
    expect(customerStory(all.events())).toEqual(['inserted', 'deleted']);
    // Batches of 2, 4 in flight: a record's versions never share a window (so never a POST), so they still arrive in order.
    inOrderPerRecord(all.events());
    for (const delivery of all.receiver.delivered) {
      const ids = (delivery.records as unknown as ChangeEvent[]).map((e) => e.record.upstream_id);
      expect(new Set(ids).size, delivery.webhookId).toBe(ids.length);
    }
    expect(new Set(all.events().map((e) => e.record.updated_idx)).size).toBe(versions);
    const event = all.events()[0]!;
    expect(Object.keys(event).sort()).toEqual(['action', 'changes', 'occurred_at', 'record']);


    await waitFor(async () => customerStory(status.events()).includes('deleted'), 30_000, 'the status events');
    expect(subscriptionStory(status.events())).toEqual(EXPECTED_STATUS);
    expect(status.receiver.badSignatures).toEqual([]);
  });

  it('webhook: the runner keeps what it read as a plan of event texts, from which a restarted runner reads the same keys (the same webhook-ids)', async () => {
    // A receiver that never answers: the runner's first plan stays kept, its position at 0.
    const stalled = await webhookConsumer({ name: 'webhook-kept', batch_size: 100, timeout_ms: 60_000 }, 'hang');
    const consumer = (await webhookSinkKind.listConsumers(server.app.ctx)).find((c) => c.id === stalled.consumer.id)!;
    const source = { pool: server.app.ctx.pool, consumer, maxBytes: server.app.ctx.config.SYNCLINE_MAX_ANSWER_BYTES };
    const kept = await waitFor(async () => {
      const plans = await webhookSinkKind.records.plans!.kept(source, 0n);
      return plans.length > 0 ? plans : null;
    }, 30_000, 'the kept plan');
    const versions = await versionCount();
    expect(kept.map((plan) => plan.records.length)).toEqual([versions]);
    // What a read answers (and keeps again, the same) is what was kept: texts and keys alike.
    const read = await webhookSinkKind.records.read(source, 0n, 1000);
    expect(kept[0]!.records).toEqual(read.records);
    const events = read.records.map((r) => JSON.parse(r.json) as ChangeEvent & { record: { sync_id: string; collection_id: string } });
    expect(read.records.map((r) => [r.sync_id, r.collection_id, r.upstream_id, String(r.updated_idx)])).toEqual(
      events.map((e) => [e.record.sync_id, e.record.collection_id, e.record.upstream_id, String(e.record.updated_idx)]),
    );
    expect(subscriptionStory(events)).toEqual(EXPECTED_ALL);
  });

  it('webhook: a dead-lettered event is a dead letter of its own version, and redelivery sends those very versions', async () => {
    const dead = await webhookConsumer({ name: 'webhook-dead', collection_ids: ['stripe:subscription'], max_deliver: 1 });
    await dead.receiver.setMode('fail400');
    const versions = (await server.app.ctx.pool.query('SELECT updated_idx::text AS idx FROM record_versions WHERE sync_id = $1 AND upstream_id = $2 ORDER BY updated_idx', [sync.id, subscriptionId])).rows.map((r) => r.idx as string);
    expect(versions).toHaveLength(4);
    const letters = await waitFor(async () => {
      const page = (await api.get(`/v1/webhook-consumers/${dead.consumer.id}/dead-letters?limit=100`)).body.data as { upstream_id: string; updated_idx: number }[];
      const ours = page.filter((d) => d.upstream_id === subscriptionId);
      return ours.length === versions.length ? ours : null;
    }, 30_000, 'a dead letter for each of the subscription\'s versions');
    expect(letters.map((d) => String(d.updated_idx)).sort()).toEqual([...versions].sort());
    // Pages of one walk every version (the cursor holds the version).
    const walked: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { updated_idx: number }[]; next_cursor: string | null } } = await api.get(`/v1/webhook-consumers/${dead.consumer.id}/dead-letters?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...page.body.data.map((d) => d.updated_idx));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(walked.map(String).sort()).toEqual([...versions].sort());

    await dead.receiver.setMode('ok');
    const asked = await api.post(`/v1/webhook-consumers/${dead.consumer.id}/dead-letters/redeliver`, { upstream_ids: [subscriptionId] });
    expect(asked.body).toEqual({ requested: 4 });
    await waitFor(async () => subscriptionStory(dead.events()).length === 4, 30_000, 'the redelivered events');
    expect(subscriptionStory(dead.events())).toEqual(EXPECTED_ALL);
    expect(dead.events().map((e) => String(e.record.updated_idx))).toEqual(versions);
    await waitFor(async () => (await api.get(`/v1/webhook-consumers/${dead.consumer.id}/dead-letters`)).body.data.length === 0, 10_000, 'no dead letters left');
  });

  type EventRow = { upstream_id: string; updated_idx: string; action: string; changes: Record<string, unknown> | null; deleted: boolean; data: Record<string, unknown>; occurred_at: Date };
  /** A PostgreSQL consumer of change events into a fresh database (the same for every consumer of the test). */
  async function postgresConsumer(body: Record<string, unknown>) {
    if (!target) {
      target = await createTestDatabase();
      targetDb = new pg.Client({ connectionString: target.url });
      await targetDb.connect();
    }
    const url = `postgres://postgres@127.0.0.1:5432/${new URL(target.url).pathname.slice(1)}`;
    return api.post('/v1/postgres-consumers', { sync_id: sync.id, connection: { url }, message_kind: 'event', collection_ids: ['stripe:subscription', 'stripe:customer'], ...body });
  }
  const tableEvents = async (table: string): Promise<ChangeEvent[]> =>
    (await targetDb!.query<EventRow>(`SELECT upstream_id, updated_idx::text, action, changes, deleted, data, occurred_at FROM ${table} ORDER BY updated_idx`)).rows.map((r) => ({
      action: r.action,
      changes: r.changes,
      record: { upstream_id: r.upstream_id, updated_idx: Number(r.updated_idx), deleted: r.deleted, data: r.data },
    }));

  it('PostgreSQL: one row per event in an append-only table (created as public.syncline_events), written once even when sent again', async () => {
    const refused = await postgresConsumer({ name: 'pg-events-delete', deletes: 'delete' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('deletes_without_records');

    const created = await postgresConsumer({ name: 'pg-events', batch_size: 2 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ message_kind: 'event', actions: null, changed_fields: null, table: 'public.syncline_events', deletes: 'mark' });
    const patched = await api.patch(`/v1/postgres-consumers/${created.body.id}`, { deletes: 'delete' });
    expect([patched.status, patched.body.error?.code]).toEqual([422, 'deletes_without_records']);
    const status = await postgresConsumer({ name: 'pg-status', table: 'status_events', changed_fields: ['status'] });
    expect(status.status, JSON.stringify(status.body)).toBe(201);

    const versions = await versionCount();
    const count = async (table: string) => (await targetDb!.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    await waitFor(async () => (await count('public.syncline_events')) === versions, 30_000, 'every event written');
    const all = await tableEvents('public.syncline_events');
    expect(subscriptionStory(all)).toEqual(EXPECTED_ALL);
    expect(all.find((e) => e.record.upstream_id === subscriptionId && e.action === 'updated')!.changes).toMatchObject({ status: 'trialing' });
    expect(customerStory(all)).toEqual(['inserted', 'deleted']);
    expect(all.find((e) => e.action === 'deleted')!.record).toMatchObject({ upstream_id: customerGone, deleted: true });

    await waitFor(async () => customerStory(await tableEvents('status_events')).includes('deleted'), 30_000, 'the status events');
    expect(subscriptionStory(await tableEvents('status_events'))).toEqual(EXPECTED_STATUS);

    // The lag of a consumer of events counts the versions its filters let through: none is left once
    // the inserts are written, though the updates and deletes after them are past its position.
    const inserts = await postgresConsumer({ name: 'pg-inserts', table: 'inserted_events', actions: ['inserted'] });
    expect(inserts.status, JSON.stringify(inserts.body)).toBe(201);
    const inserted = (
      await server.app.ctx.pool.query("SELECT count(*)::int AS n FROM record_versions WHERE sync_id = $1 AND collection_id = ANY($2) AND action = 'inserted'", [
        sync.id,
        ['stripe:subscription', 'stripe:customer'],
      ])
    ).rows[0].n as number;
    expect(inserted).toBeLessThan(versions);
    expect(inserts.body.lag).toBe(inserted);
    await waitFor(async () => (await count('inserted_events')) === inserted, 30_000, 'the inserts');
    expect(new Set((await tableEvents('inserted_events')).map((e) => e.action))).toEqual(new Set(['inserted']));
    await waitFor(async () => (await api.get(`/v1/postgres-consumers/${inserts.body.id}`)).body.lag === 0, 10_000, 'no lag');

    // A reset to the start sends every event again: the key (…, updated_idx) lets none in twice.
    const before = (await api.get(`/v1/postgres-consumers/${created.body.id}`)).body.last_delivered_at as string;
    expect((await api.post(`/v1/postgres-consumers/${created.body.id}/reset`, { deliver_policy: 'all' })).status).toBe(200);
    await waitFor(async () => {
      const answer = (await api.get(`/v1/postgres-consumers/${created.body.id}`)).body;
      return answer.last_delivered_at !== before && answer.lag === 0;
    }, 30_000, 'the replay');
    expect(await count('public.syncline_events')).toBe(versions);
    const log = (await api.get(`/v1/postgres-consumers/${created.body.id}/deliveries?limit=1`)).body.data as { response_excerpt: string }[];
    expect(log[0]!.response_excerpt).toMatch(/^0 written, 0 deleted, [12] unchanged/);
  });

  it('GraphQL: webhook and PostgreSQL consumers answer what they deliver', async () => {
    const gql = graphqlClient(server.url, token);
    const answer = await gql(`{ webhookConsumers(first: 50) { edges { node { name messageKind actions changedFields } } } postgresConsumers(first: 50) { edges { node { name messageKind changedFields } } } }`);
    expect(answer.errors).toBeUndefined();
    const webhooks = answer.data.webhookConsumers.edges.map((e: { node: unknown }) => e.node);
    expect(webhooks).toContainEqual({ name: 'webhook-status', messageKind: 'event', actions: null, changedFields: ['status'] });
    const created = await gql(
      `mutation($i: WebhookConsumerInput!) { createWebhookConsumer(input: $i) { webhookConsumer { messageKind actions } } }`,
      { i: { name: 'gql-webhook-events', url: 'http://127.0.0.1:9/hook', syncId: sync.id, messageKind: 'event', actions: ['deleted'] } },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createWebhookConsumer.webhookConsumer).toEqual({ messageKind: 'event', actions: ['deleted'] });
    const refused = await gql(`mutation($i: WebhookConsumerInput!) { createWebhookConsumer(input: $i) { secret } }`, {
      i: { name: 'gql-webhook-records', url: 'http://127.0.0.1:9/hook', syncId: sync.id, changedFields: ['status'] },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('event_filter_without_events');
  });
});
