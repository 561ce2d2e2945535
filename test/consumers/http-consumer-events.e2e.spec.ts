import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelProjections } from '../../src/projections/index.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

type EventMessage = { ack_token: string; action: string; changes: Record<string, unknown> | null; record: { upstream_id: string; updated_idx: number; deleted: boolean; data: Record<string, unknown> }; occurred_at: string };

/** HTTP pull consumers of change events (DELIVERY.md, "Change events"): every version, in order, with what changed. */
describe('HTTP consumers: message_kind "event"', () => {
  let server: TestServer;
  let api: RestClient;
  let target: { syncId: string; streamId: string; collectionId: string };
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    token = (await root.post('/v1/accounts', { name: 'events' })).body.api_token.token;
    api = restClient(server.url, token);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_events_0123456789', name: 'stripe' });
    const sync = await api.post('/v1/syncs', { provider: 'stripe', name: 'stripe', collection_ids: ['stripe:subscription'], credential_id: credential.body.id });
    expect(sync.status).toBe(201);
    target = { syncId: sync.body.id, streamId: sync.body.stream_id, collectionId: 'stripe:subscription' };
    const sub = (status: string, extra: Record<string, unknown> = {}) => ({ id: 'sub_1', object: 'subscription', status, ...extra });
    await seedRecords(server.app.ctx, target, [{ id: 'sub_1', data: sub('trialing') }, { id: 'sub_2', data: { id: 'sub_2', status: 'active' } }]);
    await seedRecords(server.app.ctx, target, [{ id: 'sub_1', data: sub('active') }]);
    await seedRecords(server.app.ctx, target, [{ id: 'sub_1', data: sub('active', { metadata: { plan: 'pro' } }) }]);
    await seedRecords(server.app.ctx, target, [{ id: 'sub_1', data: sub('past_due', { metadata: { plan: 'pro' } }) }]);
    await seedRecords(server.app.ctx, target, [{ id: 'sub_1', data: sub('past_due', { metadata: { plan: 'pro' } }), deleted: true }]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function drain(consumerId: string, batchSize = 100): Promise<EventMessage[]> {
    const seen: EventMessage[] = [];
    for (;;) {
      const batch = await api.post(`/v1/http-consumers/${consumerId}/next`, { batch_size: batchSize });
      expect(batch.status).toBe(200);
      if (batch.body.length === 0) return seen;
      seen.push(...batch.body);
      const acked = await api.post(`/v1/http-consumers/${consumerId}/ack`, { ack_tokens: batch.body.map((m: EventMessage) => m.ack_token) });
      expect(acked.body.invalid_ack_tokens).toEqual([]);
    }
  }

  const summary = (events: EventMessage[]) => events.map((e) => [e.record.upstream_id, e.action, e.changes]);

  it('delivers every version of each record as an event, in order, with the previous values of the fields that changed', async () => {
    const created = await api.post('/v1/http-consumers', { name: 'all-events', sync_id: target.syncId, message_kind: 'event' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ message_kind: 'event', actions: null, changed_fields: null, num_pending: 6 });
    const events = await drain(created.body.id);
    expect(summary(events)).toEqual([
      ['sub_1', 'inserted', null],
      ['sub_2', 'inserted', null],
      ['sub_1', 'updated', { status: 'trialing' }],
      ['sub_1', 'updated', { metadata: null }],
      ['sub_1', 'updated', { status: 'active' }],
      ['sub_1', 'deleted', null],
    ]);
    expect(events[2]!.record.data.status).toBe('active');
    expect(events[5]!.record).toMatchObject({ deleted: true, data: { status: 'past_due' } });
    expect(new Date(events[0]!.occurred_at).getTime()).toBeLessThanOrEqual(new Date(events[5]!.occurred_at).getTime());
    // Positions grow along the events.
    const positions = events.map((e) => e.record.updated_idx);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('keeps one version of a record in flight at a time: small batches see the same order', async () => {
    const created = await api.post('/v1/http-consumers', { name: 'one-by-one', sync_id: target.syncId, message_kind: 'event' });
    const events = await drain(created.body.id, 1);
    expect(summary(events).map(([id, action]) => `${id}:${action}`)).toEqual([
      'sub_1:inserted',
      'sub_2:inserted',
      'sub_1:updated',
      'sub_1:updated',
      'sub_1:updated',
      'sub_1:deleted',
    ]);
  });

  it('a record whose next version waits behind an unacked lease gets it after the ack, not before', async () => {
    const created = await api.post('/v1/http-consumers', { name: 'behind-a-lease', sync_id: target.syncId, message_kind: 'event' });
    const first = await api.post(`/v1/http-consumers/${created.body.id}/next`, { batch_size: 1 });
    expect(summary(first.body)).toEqual([['sub_1', 'inserted', null]]);
    // sub_1's other versions are passed over while its first is leased.
    const second = await api.post(`/v1/http-consumers/${created.body.id}/next`, { batch_size: 100 });
    expect(summary(second.body)).toEqual([['sub_2', 'inserted', null]]);
    await api.post(`/v1/http-consumers/${created.body.id}/ack`, { ack_tokens: [first.body[0].ack_token, second.body[0].ack_token] });
    expect(summary(await drain(created.body.id)).map(([, action, changes]) => [action, changes])).toEqual([
      ['updated', { status: 'trialing' }],
      ['updated', { metadata: null }],
      ['updated', { status: 'active' }],
      ['deleted', null],
    ]);
  });

  it('filters by action and by changed field', async () => {
    const statusChanges = await api.post('/v1/http-consumers', { name: 'status', sync_id: target.syncId, message_kind: 'event', actions: ['updated'], changed_fields: ['status'] });
    expect(statusChanges.body).toMatchObject({ actions: ['updated'], changed_fields: ['status'], num_pending: 2 });
    expect(summary(await drain(statusChanges.body.id))).toEqual([
      ['sub_1', 'updated', { status: 'trialing' }],
      ['sub_1', 'updated', { status: 'active' }],
    ]);
    const lifecycle = await api.post('/v1/http-consumers', { name: 'lifecycle', sync_id: target.syncId, message_kind: 'event', actions: ['inserted', 'deleted'] });
    expect(summary(await drain(lifecycle.body.id)).map(([id, action]) => `${id}:${action}`)).toEqual(['sub_1:inserted', 'sub_2:inserted', 'sub_1:deleted']);
  });

  it('GraphQL: createHttpConsumer with messageKind event and filters; consumeNext answers the events', async () => {
    const gql = graphqlClient(server.url, token);
    const created = await gql(
      `mutation($input: HttpConsumerInput!) { createHttpConsumer(input: $input) { id messageKind actions changedFields } }`,
      { input: { name: 'gql-status', syncId: target.syncId, messageKind: 'event', actions: ['updated'], changedFields: ['status'] } },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createHttpConsumer).toMatchObject({ messageKind: 'event', actions: ['updated'], changedFields: ['status'] });
    const next = await gql(`mutation($id: ID!) { consumeNext(consumerId: $id, batchSize: 10) { ackToken action changes occurredAt record { upstreamId data } } }`, {
      id: created.data.createHttpConsumer.id,
    });
    expect(next.errors).toBeUndefined();
    expect(next.data.consumeNext.map((m: { action: string; changes: unknown }) => [m.action, m.changes])).toEqual([['updated', { status: 'trialing' }]]);
    expect(next.data.consumeNext[0].record.data.status).toBe('active');
  });

  it('refuses event filters on a consumer of records, and unknown actions', async () => {
    const refused = await api.post('/v1/http-consumers', { name: 'records-filtered', sync_id: target.syncId, changed_fields: ['status'] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('event_filter_without_events');
    const unknown = await api.post('/v1/http-consumers', { name: 'bad-action', sync_id: target.syncId, message_kind: 'event', actions: ['renamed'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('validation_failed');
    const records = await api.post('/v1/http-consumers', { name: 'records', sync_id: target.syncId });
    expect(records.body).toMatchObject({ message_kind: 'record', actions: null, changed_fields: null, num_pending: 2 });
  });

  it('a rebuild of the read models yields the same events', async () => {
    const read = async () =>
      (await server.app.ctx.pool.query('SELECT updated_idx, upstream_id, action, changes, data, deleted, changed_at FROM record_versions WHERE stream_id = $1 ORDER BY updated_idx', [target.streamId])).rows;
    const before = await read();
    expect(before).toHaveLength(6);
    await rebuildReadModels(server.app.ctx.pool, readModelProjections);
    expect(await read()).toEqual(before);
    const again = await api.post('/v1/http-consumers', { name: 'after-rebuild', sync_id: target.syncId, message_kind: 'event' });
    expect(summary(await drain(again.body.id))).toHaveLength(6);
  });

  it("migration 0059 derives the same history from the event log as the projection writes", async () => {
    const read = async () =>
      (await server.app.ctx.pool.query('SELECT * FROM record_versions WHERE stream_id = $1 ORDER BY updated_idx', [target.streamId])).rows;
    const projected = await read();
    const migration = await readFile(new URL('../../prisma/migrations/0059_change_events/migration.sql', import.meta.url), 'utf8');
    const seed = migration.slice(migration.indexOf('DO $$'), migration.indexOf('$$;', migration.indexOf('DO $$')) + 3);
    await server.app.ctx.pool.query('TRUNCATE record_versions');
    await server.app.ctx.pool.query(seed);
    expect(await read()).toEqual(projected);
  });
});
