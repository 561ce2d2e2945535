import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpConsumersProjection } from '../../src/projections/http-consumers.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/** Filters, start positions and resets of HTTP pull consumers (DESIGN.md §7b; DELIVERY.md, "Filters and start positions"). */
describe('HTTP consumers: provider and collection filters, deliver policies, reset', () => {
  let server: TestServer;
  let api: RestClient;
  let other: RestClient;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    token = (await root.post('/v1/accounts', { name: 'filters' })).body.api_token.token;
    api = restClient(server.url, token);
    other = restClient(server.url, (await root.post('/v1/accounts', { name: 'filters-other' })).body.api_token.token);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const newStream = async (name: string): Promise<string> => (await api.post('/v1/streams', { name })).body.id;

  async function newConsumer(body: Record<string, unknown>) {
    const answer = await api.post('/v1/http-consumers', body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body;
  }

  /** Receives and acks until nothing is left: the upstream ids in delivery order. */
  async function drain(consumerId: string): Promise<string[]> {
    const seen: string[] = [];
    for (;;) {
      const batch = await api.post(`/v1/http-consumers/${consumerId}/next`, { batch_size: 100 });
      expect(batch.status).toBe(200);
      if (batch.body.length === 0) return seen;
      seen.push(...batch.body.map((m: any) => m.record.upstream_id));
      await api.post(`/v1/http-consumers/${consumerId}/ack`, { ack_tokens: batch.body.map((m: any) => m.ack_token) });
    }
  }

  const idxOf = async (streamId: string, upstreamId: string) =>
    Number((await server.app.ctx.pool.query<{ idx: string }>('SELECT updated_idx::text AS idx FROM records WHERE stream_id = $1 AND upstream_id = $2', [streamId, upstreamId])).rows[0]!.idx);

  it("filters by provider: two providers' syncs in one stream, only the provider's records delivered and counted", async () => {
    const streamId = await newStream('two-providers');
    const stripeCredential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_filters_0123456789', name: 'stripe' });
    const hubspotCredential = await api.post('/v1/credentials', { kind: 'hubspot', access_token: 'pat-na1-filters-0123456789', name: 'hubspot' });
    const stripe = await api.post('/v1/syncs', { provider: 'stripe', name: 'stripe', stream_id: streamId, collection_ids: ['stripe:customer', 'stripe:invoice'], credential_id: stripeCredential.body.id });
    const hubspot = await api.post('/v1/syncs', { provider: 'hubspot', name: 'hubspot', stream_id: streamId, collection_ids: ['hubspot:contact'], credential_id: hubspotCredential.body.id });
    expect([stripe.status, hubspot.status]).toEqual([201, 201]);
    const stripeSync = { syncId: stripe.body.id, streamId };
    const hubspotSync = { syncId: hubspot.body.id, streamId };
    // Interleaved: the stream holds both providers' records in one order.
    for (let round = 0; round < 3; round++) {
      await seedRecords(server.app.ctx, { ...stripeSync, collectionId: 'stripe:customer' }, [{ id: `cus_${round}` }]);
      await seedRecords(server.app.ctx, { ...hubspotSync, collectionId: 'hubspot:contact' }, [{ id: `contact_${round}` }]);
      await seedRecords(server.app.ctx, { ...stripeSync, collectionId: 'stripe:invoice' }, [{ id: `in_${round}` }]);
    }

    const hubspotOnly = await newConsumer({ name: 'hubspot-only', stream_id: streamId, provider: 'hubspot' });
    expect(hubspotOnly).toMatchObject({ provider: 'hubspot', collection_ids: null, sync_id: null, deliver_policy: 'all', opt_start_time: null, opt_start_idx: null, reset_count: 0, num_pending: 3 });
    const first = await api.post(`/v1/http-consumers/${hubspotOnly.id}/next`, { batch_size: 2 });
    expect(first.body.map((m: any) => m.record.upstream_id)).toEqual(['contact_0', 'contact_1']);
    expect(first.headers.get('x-num-pending')).toBe('1');
    await api.post(`/v1/http-consumers/${hubspotOnly.id}/ack`, { ack_tokens: first.body.map((m: any) => m.ack_token) });
    expect(await drain(hubspotOnly.id)).toEqual(['contact_2']);

    const stripeOnly = await newConsumer({ name: 'stripe-only', stream_id: streamId, provider: 'stripe' });
    expect(stripeOnly.num_pending).toBe(6);
    expect(await drain(stripeOnly.id)).toEqual(['cus_0', 'in_0', 'cus_1', 'in_1', 'cus_2', 'in_2']);

    // Provider and collections together; and with the sync filter.
    const invoices = await newConsumer({ name: 'stripe-invoices', stream_id: streamId, provider: 'stripe', collection_ids: ['stripe:invoice'] });
    expect(invoices).toMatchObject({ provider: 'stripe', collection_ids: ['stripe:invoice'], num_pending: 3 });
    expect(await drain(invoices.id)).toEqual(['in_0', 'in_1', 'in_2']);
    const syncAndProvider = await newConsumer({ name: 'hubspot-sync', sync_id: hubspotSync.syncId, provider: 'hubspot' });
    expect(syncAndProvider).toMatchObject({ stream_id: streamId, num_pending: 3 });
    const mismatch = await newConsumer({ name: 'stripe-sync-hubspot', sync_id: stripeSync.syncId, provider: 'hubspot' });
    expect(mismatch.num_pending).toBe(0);

    // A provider Syncline does not know, or collections of another provider: 422.
    const unknown = await api.post('/v1/http-consumers', { name: 'nope', stream_id: streamId, provider: 'myspace' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('unknown_provider');
    const crossed = await api.post('/v1/http-consumers', { name: 'nope', stream_id: streamId, provider: 'stripe', collection_ids: ['hubspot:contact'] });
    expect(crossed.status).toBe(422);
    expect(crossed.body.error.code).toBe('collection_not_of_provider');
    const malformed = await api.post('/v1/http-consumers', { name: 'nope', stream_id: streamId, provider: 'Stripe!' });
    expect(malformed.status).toBe(400);
  });

  it('filters by collection_ids, and counts only the matching records', async () => {
    const streamId = await newStream('collections');
    const syncId = randomUUID();
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, [{ id: 'cus_a' }, { id: 'cus_b' }]);
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:charge' }, [{ id: 'ch_a' }]);
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:refund' }, [{ id: 're_a' }]);
    const consumer = await newConsumer({ name: 'charges-and-refunds', stream_id: streamId, collection_ids: ['stripe:charge', 'stripe:refund'] });
    expect(consumer.num_pending).toBe(2);
    expect(await drain(consumer.id)).toEqual(['ch_a', 're_a']);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
  });

  it('starts where deliver_policy says: all, new, by_start_time (between two batches), by_start_idx', async () => {
    const streamId = await newStream('policies');
    const target = { syncId: randomUUID(), streamId, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, [{ id: 'a_1' }, { id: 'a_2' }, { id: 'a_3' }]);
    await sleep(20);
    const between = (await server.app.ctx.pool.query<{ at: Date }>('SELECT clock_timestamp() AS at')).rows[0]!.at.toISOString();
    await sleep(20);
    await seedRecords(server.app.ctx, target, [{ id: 'b_1' }, { id: 'a_1', data: { id: 'a_1', v: 2 } }, { id: 'b_2' }]);

    const all = await newConsumer({ name: 'from-all', stream_id: streamId, deliver_policy: 'all' });
    const fresh = await newConsumer({ name: 'from-new', stream_id: streamId, deliver_policy: 'new' });
    const byTime = await newConsumer({ name: 'from-time', stream_id: streamId, deliver_policy: 'by_start_time', opt_start_time: between });
    const startIdx = await idxOf(streamId, 'b_1');
    const byIdx = await newConsumer({ name: 'from-idx', stream_id: streamId, deliver_policy: 'by_start_idx', opt_start_idx: startIdx + 1 });
    const byIdxText = await newConsumer({ name: 'from-idx-text', stream_id: streamId, deliver_policy: 'by_start_idx', opt_start_idx: String(startIdx) });
    expect(byTime).toMatchObject({ deliver_policy: 'by_start_time', opt_start_time: between, opt_start_idx: null, num_pending: 3 });
    expect(byIdx).toMatchObject({ deliver_policy: 'by_start_idx', opt_start_idx: startIdx + 1, opt_start_time: null, num_pending: 2 });
    expect(fresh).toMatchObject({ deliver_policy: 'new', num_pending: 0 });

    await seedRecords(server.app.ctx, target, [{ id: 'c_1' }]);
    expect(await drain(all.id)).toEqual(['a_2', 'a_3', 'b_1', 'a_1', 'b_2', 'c_1']);
    expect(await drain(fresh.id)).toEqual(['c_1']);
    expect(await drain(byTime.id)).toEqual(['b_1', 'a_1', 'b_2', 'c_1']);
    expect(await drain(byIdx.id)).toEqual(['a_1', 'b_2', 'c_1']);
    expect(await drain(byIdxText.id)).toEqual(['b_1', 'a_1', 'b_2', 'c_1']);
  });

  it('reset back delivers acked records again; reset ahead skips and drops the messages in flight', async () => {
    const streamId = await newStream('resets');
    const target = { syncId: randomUUID(), streamId, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, [{ id: 'r_1' }, { id: 'r_2' }, { id: 'r_3' }, { id: 'r_4' }]);
    const consumer = await newConsumer({ name: 'replayed', stream_id: streamId });
    expect(await drain(consumer.id)).toEqual(['r_1', 'r_2', 'r_3', 'r_4']);

    // Back to the start: everything again, though acked.
    const back = await api.post(`/v1/http-consumers/${consumer.id}/reset`, { deliver_policy: 'all' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ id: consumer.id, deliver_policy: 'all', reset_count: 1, num_pending: 4, num_ack_pending: 0 });
    expect(await drain(consumer.id)).toEqual(['r_1', 'r_2', 'r_3', 'r_4']);

    // Back to a position: from there on.
    const fromThird = await api.post(`/v1/http-consumers/${consumer.id}/reset`, { deliver_policy: 'by_start_idx', opt_start_idx: await idxOf(streamId, 'r_3') });
    expect(fromThird.body).toMatchObject({ deliver_policy: 'by_start_idx', reset_count: 2, num_pending: 2 });
    expect(await drain(consumer.id)).toEqual(['r_3', 'r_4']);

    // Ahead while messages are in flight: they are dropped, their acks answer as invalid, nothing behind the new start comes.
    await api.post(`/v1/http-consumers/${consumer.id}/reset`, { deliver_policy: 'all' });
    const leased = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 2 });
    expect(leased.body.map((m: any) => m.record.upstream_id)).toEqual(['r_1', 'r_2']);
    await api.post(`/v1/http-consumers/${consumer.id}/nack`, { ack_tokens: [leased.body[1].ack_token], delay_ms: 0 }); // a per-message lease too
    const ahead = await api.post(`/v1/http-consumers/${consumer.id}/reset`, { deliver_policy: 'new' });
    expect(ahead.body).toMatchObject({ deliver_policy: 'new', reset_count: 4, num_pending: 0, num_ack_pending: 0 });
    const tokens = leased.body.map((m: any) => m.ack_token);
    expect((await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: tokens })).body).toEqual({ acked: 0, invalid_ack_tokens: tokens });
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body).toEqual([]);
    await seedRecords(server.app.ctx, target, [{ id: 'r_5' }]);
    expect(await drain(consumer.id)).toEqual(['r_5']);

    // Every reset is an event in the consumer's history, with the position it meant.
    const { events } = await server.app.ctx.eventStore.readStream(`consumer-${consumer.id}`);
    const resets = events.filter((e) => e.type === 'HttpConsumerReset').map((e) => e.data as Record<string, unknown>);
    expect(resets.map((r) => [r.deliverPolicy, r.resetCount])).toEqual([
      ['all', 1],
      ['by_start_idx', 2],
      ['all', 3],
      ['new', 4],
    ]);
    expect(resets[0]).toMatchObject({ consumerId: consumer.id, startIdx: '0' });
    expect(resets[1]).toMatchObject({ optStartIdx: String(await idxOf(streamId, 'r_3')), startIdx: String((await idxOf(streamId, 'r_3')) - 1) });
    expect(resets[3]).toMatchObject({ startIdx: String(await idxOf(streamId, 'r_4')) });
    expect(typeof resets[0]!.resetAt).toBe('string');

    // The message's own history shows it delivered again after the reset.
    const history = await api.get(`/v1/http-consumers/${consumer.id}/messages/r_1`);
    expect(history.body.history.filter((h: any) => h.action === 'delivered')).toHaveLength(3);
  });

  it('a reset back delivers dead-lettered records again; dead letters behind the new start stay', async () => {
    const streamId = await newStream('dead-letters');
    const target = { syncId: randomUUID(), streamId, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, [{ id: 'd_1' }, { id: 'd_2' }]);
    const consumer = await newConsumer({ name: 'dead-letters', stream_id: streamId, ack_wait_ms: 100, max_deliver: 1 });
    const deadAfterOneDelivery = async (expected: string[]) => {
      const leased = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect(leased.body.map((m: any) => m.record.upstream_id)).toEqual(expected);
      await sleep(150);
      expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body).toEqual([]);
    };
    await deadAfterOneDelivery(['d_1', 'd_2']);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body).toMatchObject({ num_dead: 2, num_pending: 0 });

    const fromSecond = await api.post(`/v1/http-consumers/${consumer.id}/reset`, { deliver_policy: 'by_start_idx', opt_start_idx: await idxOf(streamId, 'd_2') });
    expect(fromSecond.body).toMatchObject({ num_dead: 1, num_pending: 1 });
    // Delivered again, unacked again: its lease expires and is dead-lettered as before, without a conflict with the old one.
    await deadAfterOneDelivery(['d_2']);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body).toMatchObject({ num_dead: 2, num_pending: 0, num_ack_pending: 0 });
  });

  it('resets by name on the compatibility path, and through GraphQL', async () => {
    const streamId = await newStream('reset-routes');
    const target = { syncId: randomUUID(), streamId, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, [{ id: 'g_1' }, { id: 'g_2' }]);
    const consumer = await newConsumer({ name: 'reset-by-name', stream_id: streamId });
    expect(await drain(consumer.id)).toEqual(['g_1', 'g_2']);

    const compat = await api.post('/api/http_pull_consumers/reset-by-name/reset', { deliver_policy: 'by_start_idx', opt_start_idx: await idxOf(streamId, 'g_2') });
    expect(compat.status).toBe(200);
    expect(compat.body).toMatchObject({ id: consumer.id, reset_count: 1, num_pending: 1 });
    const byName = await api.post('/v1/http-consumers/reset-by-name/reset', { deliver_policy: 'all' });
    expect(byName.body).toMatchObject({ reset_count: 2, num_pending: 2 });

    const gql = graphqlClient(server.url, token);
    const reset = await gql(
      `mutation ($id: ID!, $input: ConsumerResetInput!) { resetHttpConsumer(id: $id, input: $input) { uuid deliverPolicy optStartTime optStartIdx resetCount numPending } }`,
      { id: consumer.id, input: { deliverPolicy: 'new' } },
    );
    expect(reset.errors).toBeUndefined();
    expect(reset.data.resetHttpConsumer).toEqual({ uuid: consumer.id, deliverPolicy: 'new', optStartTime: null, optStartIdx: null, resetCount: 3, numPending: 0 });

    const created = await gql(
      `mutation ($input: HttpConsumerInput!) { createHttpConsumer(input: $input) { uuid provider collectionIds deliverPolicy optStartIdx numPending } }`,
      { input: { name: 'gql-filtered', streamId, provider: 'stripe', collectionIds: ['stripe:customer'], deliverPolicy: 'by_start_idx', optStartIdx: String(await idxOf(streamId, 'g_2')) } },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createHttpConsumer).toMatchObject({ provider: 'stripe', collectionIds: ['stripe:customer'], deliverPolicy: 'by_start_idx', optStartIdx: String(await idxOf(streamId, 'g_2')), numPending: 1 });

    const refused = await gql(`mutation ($id: ID!) { resetHttpConsumer(id: $id, input: { deliverPolicy: "by_start_time" }) { uuid } }`, { id: consumer.id });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_start_position', status: 422 });
  });

  it('refuses bad start options with 4xx codes, and another account’s consumer with 404', async () => {
    const streamId = await newStream('bad-starts');
    const consumer = await newConsumer({ name: 'bad-starts', stream_id: streamId });
    const invalid = [
      { deliver_policy: 'by_start_time' },
      { deliver_policy: 'by_start_idx' },
      { deliver_policy: 'all', opt_start_idx: 3 },
      { deliver_policy: 'new', opt_start_time: '2026-01-01T00:00:00Z' },
    ];
    for (const start of invalid) {
      for (const answer of [await api.post('/v1/http-consumers', { name: 'never', stream_id: streamId, ...start }), await api.post(`/v1/http-consumers/${consumer.id}/reset`, start)]) {
        expect(answer.status, JSON.stringify(start)).toBe(422);
        expect(answer.body.error.code).toBe('invalid_start_position');
      }
    }
    for (const malformed of [{ deliver_policy: 'latest' }, { deliver_policy: 'by_start_time', opt_start_time: 'yesterday' }, { deliver_policy: 'by_start_idx', opt_start_idx: 0 }, { deliver_policy: 'all', extra: 1 }]) {
      const answer = await api.post(`/v1/http-consumers/${consumer.id}/reset`, malformed);
      expect(answer.status, JSON.stringify(malformed)).toBe(400);
      expect(answer.body.error.code).toBe('validation_failed');
    }
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body.reset_count).toBe(0);
    expect((await other.post(`/v1/http-consumers/${consumer.id}/reset`, { deliver_policy: 'all' })).status).toBe(404);
    expect((await api.post(`/v1/http-consumers/${randomUUID()}/reset`, { deliver_policy: 'all' })).status).toBe(404);
  });

  it('a rebuild of the read model replays the resets without moving the cursors again', async () => {
    const dump = async () => ({
      consumers: (await server.app.ctx.pool.query('SELECT * FROM http_consumers ORDER BY id')).rows,
      cursors: (await server.app.ctx.pool.query('SELECT * FROM consumer_cursors ORDER BY consumer_id')).rows,
      leases: (await server.app.ctx.pool.query('SELECT consumer_id, upstream_id, dead FROM consumer_lease_entries ORDER BY consumer_id, upstream_id')).rows,
    });
    const before = await dump();
    expect(before.consumers.filter((c) => c.reset_count > 0).length).toBeGreaterThanOrEqual(3);
    await rebuildReadModels(server.app.ctx.pool, [httpConsumersProjection] as never);
    expect(await dump()).toEqual(before);
  });
});
