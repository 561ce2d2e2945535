import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchAckTokenParser, batchAckTokens } from '../../src/consumers/http/ack-tokens.ts';
import { answerLeased, leaseNext } from '../../src/consumers/http/delivery.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

describe('HTTP consumers: JetStream-like delivery over /next, /ack, /nack', () => {
  let server: TestServer;
  let api: RestClient;
  let streamId: string;
  const syncId = randomUUID();
  const target = () => ({ syncId, streamId, collectionId: 'stripe:customer' });

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    api = restClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'consumers' })).body.api_token.token);
    streamId = (await api.post('/v1/streams', { name: 'dev' })).body.id;
  });
  afterAll(async () => {
    await server.stop();
  });

  async function newConsumer(body: Record<string, unknown>) {
    const answer = await api.post('/v1/http-consumers', { stream_id: streamId, ...body });
    expect(answer.status).toBe(201);
    return answer.body;
  }

  it('lets 4 concurrent workers drain 10,000 records: each delivered once, never to two workers', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `cus_${i}`);
    await seedRecords(server.app.ctx, target(), ids.map((id) => ({ id })));
    const consumer = await newConsumer({ name: 'drain' });
    expect(consumer).toMatchObject({ num_pending: 10_000, num_ack_pending: 0, deliver_policy: 'all', ack_wait_ms: 60_000, max_deliver: -1 });

    const seen = new Map<string, number>();
    const worker = async () => {
      for (;;) {
        const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 100 });
        expect(batch.status).toBe(200);
        if (batch.body.length === 0) return;
        for (const message of batch.body) seen.set(message.record.upstream_id, (seen.get(message.record.upstream_id) ?? 0) + 1);
        const acked = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: batch.body.map((m: any) => m.ack_token) });
        expect(acked.body).toEqual({ acked: batch.body.length, invalid_ack_tokens: [] });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(seen.size).toBe(10_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const after = await api.get(`/v1/http-consumers/${consumer.id}`);
    expect(after.body).toMatchObject({ num_pending: 0, num_ack_pending: 0, num_dead: 0 });
  });

  it('answers the seed shape with pending counts in headers, and delivers only the latest version', async () => {
    const collectionId = 'stripe:subscription';
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'sub_1', data: { id: 'sub_1', v: 1 } }]);
    const consumer = await newConsumer({ name: 'latest', collection_ids: [collectionId], sync_id: null });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'sub_1', data: { id: 'sub_1', v: 2 } }]);
    const answer = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
    expect(answer.body).toHaveLength(1);
    expect(answer.body[0].record).toMatchObject({ sync_id: syncId, collection_id: collectionId, upstream_id: 'sub_1', deleted: false, data: { id: 'sub_1', v: 2 } });
    expect(typeof answer.body[0].record.updated_idx).toBe('number');
    expect(answer.headers.get('x-num-pending')).toBe('0');
    expect(answer.headers.get('x-num-ack-pending')).toBe('1');

    // changed while leased: the new version comes after the ack, not before
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'sub_1', data: { id: 'sub_1', v: 3 } }]);
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body).toEqual([]);
    await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [answer.body[0].ack_token] });
    const newer = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
    expect(newer.body.map((m: any) => m.record.data.v)).toEqual([3]);
  });

  it('never delivers an acked version again when the record changed past the cursor while leased (found by the crash suite)', async () => {
    const collectionId = 'stripe:invoiceitem';
    const consumer = await newConsumer({ name: 'changed-ahead', collection_ids: [collectionId], deliver_policy: 'new' });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'in_x', data: { v: 1 } }]);
    const first = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 1 });
    expect(first.body.map((m: any) => m.record.upstream_id)).toEqual(['in_x']);
    // Other records, then a new version of the leased one: far past the cursor.
    await seedRecords(server.app.ctx, { ...target(), collectionId }, Array.from({ length: 5 }, (_, i) => ({ id: `in_${i}` })));
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'in_x', data: { v: 2 } }]);
    await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [first.body[0].ack_token] });

    const delivered: string[] = [];
    for (let i = 0; i < 20; i++) {
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 1 });
      if (batch.body.length === 0) break;
      for (const m of batch.body) delivered.push(`${m.record.upstream_id}@${m.record.updated_idx}`);
      await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: batch.body.map((m: any) => m.ack_token) });
    }
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered.filter((d) => d.startsWith('in_x@'))).toHaveLength(1);
    expect(delivered).toHaveLength(6);
  });

  it('leaves out a message whose record changed between its lease and its answer, and delivers the new version once', async () => {
    const collectionId = 'stripe:coupon';
    const consumer = await newConsumer({ name: 'changed-in-between', collection_ids: [collectionId], deliver_policy: 'new' });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'co_a', data: { v: 1 } }, { id: 'co_b' }]);
    // The two steps of /next (delivery.ts), with a change of co_a between them.
    const pool = server.app.ctx.pool;
    const delivery = { id: consumer.id, streamId, syncId: null, collectionIds: [collectionId], provider: null, ackWaitMs: 60_000, maxDeliver: -1, maxAckPending: 10_000, messageKind: 'record' as const };
    const lease = await leaseNext(pool, delivery, 10);
    expect(lease.batch).not.toBeNull();
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'co_a', data: { v: 2 } }]);
    const answered = await answerLeased(pool, delivery, lease, lease.cursor!);
    expect(answered.delivered.map((m) => JSON.parse(m.json).record.upstream_id)).toEqual(['co_b']);
    const [tokenOfA, tokenOfB] = [lease.batch!.tokenAt(0), lease.batch!.tokenAt(1)];
    expect(answered.delivered[0]!.ackToken).toBe(tokenOfB);
    const leaseOfA = await pool.query(`SELECT 1 FROM consumer_lease_entries WHERE consumer_id = $1 AND upstream_id = 'co_a'`, [consumer.id]);
    expect(leaseOfA.rowCount).toBe(0);

    const next = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
    expect(next.body.map((m: any) => [m.record.upstream_id, m.record.data.v])).toEqual([['co_a', 2]]);
    expect((await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [tokenOfA, tokenOfB, next.body[0].ack_token] })).body).toEqual({
      acked: 2,
      invalid_ack_tokens: [tokenOfA],
    });
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body).toEqual([]);
  });

  it('redelivers unacked messages after ack_wait_ms and drops them after max_deliver', async () => {
    const collectionId = 'stripe:charge';
    const consumer = await newConsumer({ name: 'flaky', collection_ids: [collectionId], ack_wait_ms: 300, max_deliver: 3, deliver_policy: 'new' });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'ch_1' }]);
    const deliveries: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 5_000) {
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10, wait_for: 400 });
      if (batch.body.length > 0) deliveries.push(Date.now());
      const state = await api.get(`/v1/http-consumers/${consumer.id}`);
      if (state.body.num_dead === 1) break;
    }
    expect(deliveries).toHaveLength(3);
    for (let i = 1; i < deliveries.length; i++) expect(deliveries[i]! - deliveries[i - 1]!).toBeGreaterThanOrEqual(250);
    const state = await api.get(`/v1/http-consumers/${consumer.id}`);
    expect(state.body).toMatchObject({ num_dead: 1, num_ack_pending: 0, num_pending: 0 });
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body).toEqual([]);

    const history = await api.get(`/v1/http-consumers/${consumer.id}/messages/ch_1`);
    expect(history.body.leases[0]).toMatchObject({ dead: true, deliver_count: 3 });
    expect(history.body.history.map((h: any) => h.action)).toEqual(['delivered', 'delivered', 'delivered', 'dead']);
  });

  it('nack with delay_ms redelivers after the delay and not before; late and unknown tokens are reported', async () => {
    const collectionId = 'stripe:invoice';
    const consumer = await newConsumer({ name: 'nacker', collection_ids: [collectionId] });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'in_1' }]);
    const first = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 1 });
    const nacked = await api.post(`/v1/http-consumers/${consumer.id}/nack`, { ack_tokens: [first.body[0].ack_token], delay_ms: 1000 });
    expect(nacked.body).toEqual({ nacked: 1, invalid_ack_tokens: [] });
    const nackedAt = Date.now();
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 1, wait_for: 500 })).body).toEqual([]);
    const again = await waitFor(async () => {
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 1 });
      return batch.body.length > 0 ? batch.body : null;
    }, 5_000, 'redelivery after nack');
    expect(Date.now() - nackedAt).toBeGreaterThanOrEqual(950);
    expect(again[0].record.upstream_id).toBe('in_1');
    const stale = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [first.body[0].ack_token, 'nonsense', again[0].ack_token] });
    expect(stale.body).toEqual({ acked: 1, invalid_ack_tokens: [first.body[0].ack_token, 'nonsense'] });
  });

  it('counts X-Num-Pending exactly below 1,000 records past the cursor and as an upper bound beyond, without counting on every call', async () => {
    const collectionId = 'stripe:pending_window';
    const consumer = await newConsumer({ name: 'pending-window', collection_ids: [collectionId], deliver_policy: 'new' });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, Array.from({ length: 1200 }, (_, i) => ({ id: `pw_${i}` })));
    const pending = async () => {
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 100 });
      expect(batch.body).toHaveLength(100);
      return batch.headers.get('x-num-pending');
    };
    expect(await pending()).toBe('1100');
    // The count went on past 1,000 and left its mark: the next calls need not count while it holds.
    const mark = await server.app.ctx.pool.query('SELECT at_least::int FROM consumer_pending_marks WHERE consumer_id = $1', [consumer.id]);
    expect(mark.rows).toEqual([{ at_least: 1100 }]);
    // Other records, not for this consumer, appended after: beyond 1,000 the header counts them too.
    await seedRecords(server.app.ctx, { ...target(), collectionId: 'stripe:pending_other' }, Array.from({ length: 500 }, (_, i) => ({ id: `po_${i}` })));
    expect(await pending()).toBe('1500');
    // Below 1,000, exact again.
    expect(await pending()).toBe('900');
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body.num_pending).toBe(900);
  });

  describe('a batch of new deliveries is one lease row; each message keeps its own lease (migration 0032)', () => {
    const tokens = (batch: { body: { ack_token: string }[] }) => batch.body.map((m) => m.ack_token);
    const counts = async (consumerId: string) => {
      const state = await api.get(`/v1/http-consumers/${consumerId}`);
      return { pending: state.body.num_pending, ackPending: state.body.num_ack_pending };
    };

    it('PostgreSQL and the server write the same ack tokens, and a batch token reads back', async () => {
      const { rows } = await server.app.ctx.pool.query(`SELECT syncline_batch_ack_token(281474976710655, 4095, 4611686018427387903)::text AS a, syncline_batch_ack_token(42, 7, 123456789)::text AS b`);
      expect(rows[0]).toEqual({ a: batchAckTokens('281474976710655', '4611686018427387903')(4095), b: batchAckTokens('42', '123456789')(7) });
      expect(batchAckTokenParser()(rows[0].b)).toEqual({ batchId: '42', index: 7, nonce: '123456789' });
      expect(batchAckTokenParser()(randomUUID())).toBeNull();
    });

    it('acks part of a batch: the others stay leased under their tokens until acked', async () => {
      const collectionId = 'stripe:batch_partial';
      const consumer = await newConsumer({ name: 'partial', collection_ids: [collectionId], deliver_policy: 'new' });
      await seedRecords(server.app.ctx, { ...target(), collectionId }, Array.from({ length: 10 }, (_, i) => ({ id: `prod_${i}` })));
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect(batch.body).toHaveLength(10);
      expect(await counts(consumer.id)).toEqual({ pending: 0, ackPending: 10 });
      // A token is a UUID: in capitals it is the same token.
      const first = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [...tokens(batch).slice(0, 3), tokens(batch)[3]!.toUpperCase()] });
      expect(first.body).toEqual({ acked: 4, invalid_ack_tokens: [] });
      expect(await counts(consumer.id)).toEqual({ pending: 0, ackPending: 6 });
      // An acked token is spent; the rest ack once, and nothing is delivered again.
      const rest = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: tokens(batch) });
      expect(rest.body).toEqual({ acked: 6, invalid_ack_tokens: tokens(batch).slice(0, 4) });
      expect(await counts(consumer.id)).toEqual({ pending: 0, ackPending: 0 });
      expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body).toEqual([]);
    });

    it('delivers the new version of a record changed while its lease was its own (after a partial ack), once acked', async () => {
      const collectionId = 'stripe:batch_partial_changed';
      const consumer = await newConsumer({ name: 'partial-changed', collection_ids: [collectionId], deliver_policy: 'new' });
      await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'pc_a', data: { v: 1 } }, { id: 'pc_b', data: { v: 1 } }]);
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [tokens(batch)[0]] });
      await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'pc_b', data: { v: 2 } }]);
      expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body).toEqual([]);
      expect((await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [tokens(batch)[1]] })).body).toEqual({ acked: 1, invalid_ack_tokens: [] });
      const after = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect(after.body.map((m: any) => [m.record.upstream_id, m.record.data.v])).toEqual([['pc_b', 2]]);
    });

    it('nacks one message of a batch: only it comes again, the others stay leased', async () => {
      const collectionId = 'stripe:batch_nack';
      const consumer = await newConsumer({ name: 'nack-one', collection_ids: [collectionId], deliver_policy: 'new' });
      await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'price_a' }, { id: 'price_b' }, { id: 'price_c' }]);
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect((await api.post(`/v1/http-consumers/${consumer.id}/nack`, { ack_tokens: [tokens(batch)[1]] })).body).toEqual({ nacked: 1, invalid_ack_tokens: [] });
      const again = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect(again.body.map((m: any) => m.record.upstream_id)).toEqual(['price_b']);
      expect(again.body[0].ack_token).not.toBe(tokens(batch)[1]);
      const acked = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [...tokens(batch), ...tokens(again)] });
      expect(acked.body).toEqual({ acked: 3, invalid_ack_tokens: [tokens(batch)[1]] });
      const history = await api.get(`/v1/http-consumers/${consumer.id}/messages/price_b`);
      expect(history.body.history.map((h: any) => [h.action, h.deliver_count])).toEqual([['delivered', 1], ['nacked', null], ['delivered', 2], ['acked', null]]);
    });

    it('redelivers every message of a batch past its ack wait, with new tokens', async () => {
      const collectionId = 'stripe:batch_expired';
      const consumer = await newConsumer({ name: 'expired-batch', collection_ids: [collectionId], ack_wait_ms: 200, deliver_policy: 'new' });
      await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'po_1' }, { id: 'po_2' }]);
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      const leases = await api.get(`/v1/http-consumers/${consumer.id}/messages/po_2`);
      expect(leases.body.leases).toMatchObject([{ collection_id: collectionId, deliver_count: 1, dead: false }]);
      await new Promise((r) => setTimeout(r, 300));
      const again = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect(again.body.map((m: any) => m.record.upstream_id)).toEqual(['po_1', 'po_2']);
      const acked = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [...tokens(batch), ...tokens(again)] });
      expect(acked.body).toEqual({ acked: 2, invalid_ack_tokens: tokens(batch) });
    });

    it('passes over a record changed while its batch is leased, and delivers the new version after the ack', async () => {
      const collectionId = 'stripe:batch_changed';
      const consumer = await newConsumer({ name: 'changed-in-batch', collection_ids: [collectionId], deliver_policy: 'new' });
      await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 're_1', data: { v: 1 } }, { id: 're_2', data: { v: 1 } }]);
      const batch = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 're_1', data: { v: 2 } }, { id: 're_3', data: { v: 1 } }]);
      const meanwhile = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect(meanwhile.body.map((m: any) => m.record.upstream_id)).toEqual(['re_3']);
      await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [...tokens(batch), ...tokens(meanwhile)] });
      const after = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 });
      expect(after.body.map((m: any) => [m.record.upstream_id, m.record.data.v])).toEqual([['re_1', 2]]);
    });
  });

  it('long-polls with wait_for and returns as soon as records arrive', async () => {
    const collectionId = 'stripe:product';
    const consumer = await newConsumer({ name: 'poller', collection_ids: [collectionId] });
    const started = Date.now();
    const pending = api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 5, wait_for: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'prod_1' }]);
    const answer = await pending;
    expect(answer.body.map((m: any) => m.record.upstream_id)).toEqual(['prod_1']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('serves the compatibility pull API by id or name', async () => {
    const collectionId = 'stripe:price';
    const consumer = await newConsumer({ name: 'compat', collection_ids: [collectionId] });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'price_1' }, { id: 'price_2' }]);
    const received = await api.post('/api/http_pull_consumers/compat/receive', { batch_size: 10 });
    expect(received.body.data.map((m: any) => m.record.upstream_id)).toEqual(['price_1', 'price_2']);
    const acked = await api.post(`/api/http_pull_consumers/${consumer.id}/ack`, { ack_ids: received.body.data.map((m: any) => m.ack_id) });
    expect(acked.body).toEqual({ success: true });
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
  });

  it('names each token both ways and takes ack_ids or ack_tokens on either API', async () => {
    const collectionId = 'stripe:price';
    const consumer = await newConsumer({ name: 'spellings', collection_ids: [collectionId] });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, ['a', 'b', 'c', 'd'].map((id) => ({ id: `price_sp_${id}` })));
    const compat = await api.post('/api/http_pull_consumers/spellings/receive', { batch_size: 2 });
    const native = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 2 });
    for (const message of [...compat.body.data, ...native.body]) {
      expect(typeof message.ack_id).toBe('string');
      expect(message.ack_token).toBe(message.ack_id);
    }
    expect(Object.keys(compat.body.data[0]).slice(0, 2)).toEqual(['ack_id', 'ack_token']);
    expect(Object.keys(native.body[0]).slice(0, 2)).toEqual(['ack_token', 'ack_id']);
    // Each API takes the other's spelling.
    const ackedCompat = await api.post(`/api/http_pull_consumers/${consumer.id}/ack`, { ack_tokens: [compat.body.data[0].ack_token] });
    expect(ackedCompat.body).toEqual({ success: true });
    const ackedNative = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_ids: native.body.map((m: any) => m.ack_id) });
    expect(ackedNative.body).toEqual({ acked: 2, invalid_ack_tokens: [] });
    const nacked = await api.post(`/v1/http-consumers/${consumer.id}/nack`, { ack_ids: [compat.body.data[1].ack_id] });
    expect(nacked.body).toEqual({ nacked: 1, invalid_ack_tokens: [] });
    const both = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_ids: ['x'], ack_tokens: ['x'] });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('validation_failed');
    expect(both.body.error.details[0].path).toBe('ack_tokens');
    const neither = await api.post('/api/http_pull_consumers/spellings/ack', {});
    expect(neither.status).toBe(400);
    // The nacked message comes again; the acked ones do not.
    const again = (await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 100 })).body.map((m: any) => m.record.upstream_id);
    expect(again).toContain(compat.body.data[1].record.upstream_id);
    for (const acked of [compat.body.data[0], ...native.body]) expect(again).not.toContain(acked.record.upstream_id);
  });

  it('/v1/http-consumers/{id} takes the name too', async () => {
    const collectionId = 'stripe:price';
    const consumer = await newConsumer({ name: 'by-name', collection_ids: [collectionId] });
    expect((await api.get('/v1/http-consumers/by-name')).body).toMatchObject({ id: consumer.id, name: 'by-name' });
    const patched = await api.patch('/v1/http-consumers/by-name', { ack_wait_ms: 45_000 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: consumer.id, ack_wait_ms: 45_000 });
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'price_by_name' }]);
    const batch = await api.post('/v1/http-consumers/by-name/next', { batch_size: 100 });
    expect(batch.status).toBe(200);
    expect(batch.body.length).toBeGreaterThan(0);
    const acked = await api.post('/v1/http-consumers/by-name/ack', { ack_tokens: batch.body.map((m: any) => m.ack_token) });
    expect(acked.body).toEqual({ acked: batch.body.length, invalid_ack_tokens: [] });
    expect((await api.get('/v1/http-consumers/by-name/messages/price_by_name')).status).toBe(200);
    expect((await api.get('/v1/http-consumers/no-such-name')).status).toBe(404);
    const other = restClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'by-name-nosy' })).body.api_token.token);
    expect((await other.get('/v1/http-consumers/by-name')).status).toBe(404);
    expect((await other.delete('/v1/http-consumers/by-name')).status).toBe(404);
    expect((await api.delete('/v1/http-consumers/by-name')).status).toBe(204);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).status).toBe(404);
  });

  it('with deliver_policy new, delivers only changes made after the consumer was created', async () => {
    const collectionId = 'stripe:price';
    await seedRecords(server.app.ctx, { ...target(), collectionId }, Array.from({ length: 20 }, (_, i) => ({ id: `price_old_${i}` })));
    const consumer = await newConsumer({ name: 'only-new', deliver_policy: 'new', collection_ids: [collectionId] });
    expect(consumer.num_pending).toBe(0);
    await seedRecords(server.app.ctx, { ...target(), collectionId }, [{ id: 'price_new' }, { id: 'price_old_3', data: { id: 'price_old_3', changed: true } }]);
    const answer = await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 100 });
    expect(answer.body.map((m: any) => m.record.upstream_id)).toEqual(['price_new', 'price_old_3']);
  });

  it('manages consumers and refuses bad input with 4xx codes', async () => {
    const consumer = await newConsumer({ name: 'managed' });
    const patched = await api.patch(`/v1/http-consumers/${consumer.id}`, { ack_wait_ms: 5000, max_deliver: 5 });
    expect(patched.body).toMatchObject({ ack_wait_ms: 5000, max_deliver: 5 });
    expect((await api.get('/v1/http-consumers')).body.data.map((c: any) => c.name)).toContain('managed');
    expect((await api.post('/v1/http-consumers', { name: 'managed', stream_id: streamId })).body.error.code).toBe('consumer_name_taken');
    expect((await api.post('/v1/http-consumers', { name: 'x', stream_id: streamId, deliver_policy: 'sometimes' })).status).toBe(400);
    expect((await api.post('/v1/http-consumers', { name: 'x', stream_id: streamId, max_deliver: 0 })).status).toBe(400);
    expect((await api.post('/v1/http-consumers', { name: 'x', sync_id: randomUUID() })).body.error.code).toBe('sync_not_found');
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 5000 })).status).toBe(400);
    expect((await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: [] })).status).toBe(400);
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 0 })).body.error.code).toBe('validation_failed');
    expect((await api.post(`/v1/http-consumers/${consumer.id}/next`, '{"batch_size": ')).body.error.code).toBe('malformed_json');
    // Garbage and unknown tokens are reported and leave real leases alone.
    await seedRecords(server.app.ctx, { ...target(), collectionId: 'stripe:invoice' }, [{ id: 'in_1' }]);
    const leased = (await api.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 10 })).body;
    expect(leased.length).toBeGreaterThan(0);
    const garbage = await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: ['garbage', randomUUID()] });
    expect(garbage.status).toBe(200);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body.num_ack_pending).toBe(leased.length);
    expect((await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: leased.map((m: any) => m.ack_token) })).status).toBe(200);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body.num_ack_pending).toBe(0);
    const other = restClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'nosy' })).body.api_token.token);
    expect((await other.post(`/v1/http-consumers/${consumer.id}/next`, { batch_size: 1 })).status).toBe(404);
    expect((await other.post('/api/http_pull_consumers/managed/receive', { batch_size: 1 })).status).toBe(404);
    expect((await api.delete(`/v1/http-consumers/${consumer.id}`)).status).toBe(204);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).status).toBe(404);
  });
});
