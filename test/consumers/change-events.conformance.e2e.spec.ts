import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import type { NatsConnection } from 'nats';
import { restClient, type RestClient } from '../support/api.ts';
import { addStream, connectNats, deleteStream, readStream, SHARED_NATS, streamMessageCount, uniqueName } from '../support/nats.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';

/** A change event as every consumer kind delivers it (docs/DELIVERY.md, "Change events"). */
type ChangeEvent = { action: string; changes: Record<string, unknown> | null; record: { upstream_id: string; updated_idx: number; deleted: boolean; data: Record<string, unknown> } };

/**
 * Issue 28's acceptance, against the Stripe emulator: a subscription created in trial, whose
 * status changes twice (trial ended, then canceled by `DELETE /v1/subscriptions/:id`) with a
 * metadata-only change between, and a customer deleted upstream. Stripe keeps a canceled
 * subscription (`status: canceled`, an update, never a tombstone: src/sync/providers/stripe/collections.ts),
 * so the `deleted` action is the customer's.
 */
describe('change events from a Stripe sync, for every consumer kind', () => {
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
    await ws?.dispose();
    await server?.stop();
    await emulator?.close();
  });

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
});
