import { nkeys } from 'nats';
import { natsConsumersProjection } from '../../src/projections/nats-consumers.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { createSeedableSync } from '../support/nats.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const userSeed = () => new TextDecoder().decode((nkeys as { createUser(): { getSeed(): Uint8Array } }).createUser().getSeed());
const JWT = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVQUJDIn0.c2lnbmF0dXJlX29mX3RoZV9qd3Q';
/** Nothing listens here: consumers pointing at it stay disconnected without touching a real server. */
const CLOSED_PORT = { host: '127.0.0.1', port: 1 };

describe('NATS consumers API (REST and GraphQL)', () => {
  let server: TestServer;
  let api: RestClient;
  let other: RestClient;
  let sync: { syncId: string; streamId: string };

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    api = restClient(server.url, (await root.post('/v1/accounts', { name: 'nats-api' })).body.api_token.token);
    other = restClient(server.url, (await root.post('/v1/accounts', { name: 'nats-api-other' })).body.api_token.token);
    sync = await createSeedableSync(api);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates a consumer with the seed shape; secrets are encrypted at rest, redacted in answers and absent from logs', async () => {
    const seed = userSeed();
    const created = await api.post('/v1/nats_consumers', {
      sync_id: sync.syncId,
      name: 'Synadia - Salesforce',
      subject_prefix: 'sequin-records',
      nats: { host: CLOSED_PORT.host, port: CLOSED_PORT.port, tls: true, jwt: JWT, nkey_seed: seed },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Synadia - Salesforce',
      sync_id: sync.syncId,
      stream_id: sync.streamId,
      subject_prefix: 'sequin-records',
      deliver_policy: 'all',
      nats: {
        host: '127.0.0.1',
        port: 1,
        tls: true,
        user: null,
        jwt: `…${JWT.slice(-4)}`,
        nkey_seed: `…${seed.slice(-4)}`,
        password: null,
        token: null,
        has_jwt: true,
        has_nkey_seed: true,
        has_password: false,
        has_token: false,
      },
      last_published_idx: 0,
      lag: 0,
      lag_seconds: 0,
      last_delivered_at: null,
    });
    // The status every push consumer answers (DESIGN.md §7b). A create signals the runners at once,
    // so the answer may already hold the first refused connection.
    const { state, last_error: lastError } = created.body as { state: string; last_error: { message: string } | null };
    if (state === 'connecting') expect(lastError).toBeNull();
    else expect([state, lastError?.message]).toEqual(['disconnected', expect.stringContaining('connection refused')]);
    const id = created.body.id;
    expect(JSON.stringify(created.body)).not.toContain(seed);
    expect(JSON.stringify((await api.get(`/v1/nats-consumers/${id}`)).body)).not.toContain(seed);

    // The publisher cannot reach the server: the answer says so, and the app keeps running.
    const failing = await waitFor(async () => {
      const answer = await api.get(`/v1/nats_consumers/${id}`);
      return answer.body.last_error ? answer.body : null;
    }, 10_000, 'the connection failure to show');
    expect(failing.connection_state).toBe('disconnected');
    expect(failing.state).toBe('disconnected');
    expect(failing.last_error.message).toBe('cannot connect to NATS at 127.0.0.1:1: connection refused');
    expect(Date.parse(failing.last_error.at)).toBeGreaterThan(Date.now() - 60_000);
    expect((await api.get('/v1/account')).status).toBe(200);

    const stored = await server.app.ctx.pool.query(`SELECT secrets_encrypted, secret_hints::text AS hints FROM nats_consumers WHERE id = $1`, [id]);
    expect(stored.rows[0].secrets_encrypted).toMatch(/^v1\./);
    expect(stored.rows[0].secrets_encrypted + stored.rows[0].hints).not.toContain(seed);
    const events = await server.app.ctx.pool.query(`SELECT message_data::text AS data FROM emt_messages WHERE stream_id = $1`, [`nats-consumer-${id}`]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].data).not.toContain(seed);
    expect(events.rows[0].data).not.toContain(JWT);
    expect(server.logLines.join('')).not.toContain(seed);
    expect(server.logLines.join('')).not.toContain(JWT);
  });

  it('defaults the stream and the subject prefix, and lists under both paths', async () => {
    const created = await api.post('/v1/nats-consumers', { name: 'all-syncs', nats: { host: CLOSED_PORT.host, port: CLOSED_PORT.port } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ sync_id: null, stream_id: sync.streamId, subject_prefix: 'sequin-records', nats: { port: 1, tls: false } });
    const names = (path: string) => api.get(path).then((a) => a.body.data.map((c: { name: string }) => c.name).sort());
    expect(await names('/v1/nats_consumers')).toEqual(['Synadia - Salesforce', 'all-syncs']);
    expect(await names('/v1/nats-consumers?limit=1000')).toEqual(['Synadia - Salesforce', 'all-syncs']);
    const page = await api.get('/v1/nats_consumers?limit=1');
    expect(page.body.data).toHaveLength(1);
    expect(page.body.next_cursor).toEqual(expect.any(String));
  });

  it('rejects bad input with machine-readable codes', async () => {
    const nats = { host: '127.0.0.1', port: 4222 };
    const post = (body: Record<string, unknown>) => api.post('/v1/nats_consumers', { name: 'bad', nats, ...body });
    const codeOf = async (body: Record<string, unknown>) => {
      const answer = await post(body);
      return [answer.status, answer.body.error.code, answer.body.error.details.map((d: { path: string }) => d.path)];
    };
    expect(await codeOf({ nats: { ...nats, port: 70_000 } })).toEqual([400, 'validation_failed', ['nats.port']]);
    expect(await codeOf({ nats: { ...nats, host: 'nats://x:4222' } })).toEqual([400, 'validation_failed', ['nats.host']]);
    expect(await codeOf({ nats: { ...nats, jwt: JWT } })).toEqual([422, 'invalid_nats_config', ['nats.nkey_seed']]);
    expect(await codeOf({ nats: { ...nats, nkey_seed: 'SUACnotaseed' } })).toEqual([422, 'invalid_nats_config', ['nats.nkey_seed']]);
    expect(await codeOf({ nats: { ...nats, password: 'pw-without-user' } })).toEqual([422, 'invalid_nats_config', ['nats.user']]);
    expect(await codeOf({ nats: { ...nats, token: 'tok', user: 'u', password: 'p' } })).toEqual([422, 'invalid_nats_config', ['nats']]);
    expect(await codeOf({ subject_prefix: 'records.>' })).toEqual([400, 'validation_failed', ['subject_prefix']]);
    expect(await codeOf({ deliver_policy: 'last' })).toEqual([400, 'validation_failed', ['deliver_policy']]);
    expect(await codeOf({ nats: undefined })).toEqual([400, 'validation_failed', ['nats']]);
    expect(await codeOf({ sync_id: '00000000-0000-4000-8000-000000000000' })).toEqual([422, 'sync_not_found', ['sync_id']]);
    expect(await codeOf({ stream_id: '00000000-0000-4000-8000-000000000000' })).toEqual([422, 'stream_not_found', ['stream_id']]);
    const elsewhere = (await api.post('/v1/streams', { name: 'elsewhere' })).body.id;
    expect(await codeOf({ sync_id: sync.syncId, stream_id: elsewhere })).toEqual([422, 'sync_not_in_stream', ['stream_id']]);
    expect(await codeOf({ name: 'all-syncs' })).toEqual([409, 'consumer_name_taken', []]);
    expect((await api.raw('POST', '/v1/nats_consumers', '{"name":')).body.error.code).toBe('malformed_json');
  });

  it('starts at the stream head with deliver_policy new', async () => {
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, [{ id: 'cus_a' }, { id: 'cus_b' }, { id: 'cus_c' }]);
    const head = await server.app.ctx.prisma.streamHead.findUniqueOrThrow({ where: { streamId: sync.streamId } });
    const fresh = await api.post('/v1/nats_consumers', { name: 'only-new', sync_id: sync.syncId, deliver_policy: 'new', nats: CLOSED_PORT });
    expect(fresh.body).toMatchObject({ deliver_policy: 'new', last_published_idx: Number(head.lastIdx), lag: 0 });
    const everything = await api.get(`/v1/nats_consumers/${(await api.get('/v1/nats_consumers')).body.data.find((c: { name: string }) => c.name === 'all-syncs').id}`);
    expect(everything.body).toMatchObject({ last_published_idx: 0, lag: 3 });
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, [{ id: 'cus_d' }]);
    expect((await api.get(`/v1/nats_consumers/${fresh.body.id}`)).body.lag).toBe(1);
  });

  it('updates the name, prefix and connection: secrets given replace the stored ones, null removes them', async () => {
    const created = await api.post('/v1/nats_consumers', { name: 'patchable', nats: { ...CLOSED_PORT, token: 'first-token-123456' } });
    const id = created.body.id;
    expect(created.body.nats).toMatchObject({ token: '…3456', has_token: true });

    const renamed = await api.patch(`/v1/nats_consumers/${id}`, { name: 'patched', subject_prefix: 'acme.records', nats: { port: 2 } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'patched', subject_prefix: 'acme.records', nats: { host: '127.0.0.1', port: 2, token: '…3456', has_token: true } });

    const conflicting = await api.patch(`/v1/nats_consumers/${id}`, { nats: { user: 'alice', password: 'wonderland' } });
    expect([conflicting.status, conflicting.body.error.code]).toEqual([422, 'invalid_nats_config']);
    const switched = await api.patch(`/v1/nats_consumers/${id}`, { nats: { token: null, user: 'alice', password: 'wonderland' } });
    expect(switched.body.nats).toMatchObject({ user: 'alice', password: '…' /* 10 characters: too short for a hint */, has_password: true, token: null, has_token: false });

    expect((await api.patch(`/v1/nats_consumers/${id}`, { name: 'all-syncs' })).status).toBe(409);
    expect((await api.patch(`/v1/nats_consumers/${id}`, { deliver_policy: 'new' })).status).toBe(400);
    expect((await api.patch(`/v1/nats_consumers/${id}`, { nats: { port: 0 } })).status).toBe(400);
  });

  it("hides other accounts' consumers and deletes", async () => {
    const created = await api.post('/v1/nats_consumers', { name: 'short-lived', nats: CLOSED_PORT });
    const id = created.body.id;
    expect((await other.get(`/v1/nats_consumers/${id}`)).status).toBe(404);
    expect((await other.patch(`/v1/nats_consumers/${id}`, { name: 'mine' })).status).toBe(404);
    expect((await other.delete(`/v1/nats_consumers/${id}`)).status).toBe(404);
    expect((await other.get('/v1/nats_consumers')).body.data).toEqual([]);
    expect((await api.delete(`/v1/nats_consumers/${id}`)).status).toBe(204);
    expect((await api.get(`/v1/nats_consumers/${id}`)).status).toBe(404);
    expect((await api.delete(`/v1/nats_consumers/${id}`)).status).toBe(404);
    expect((await api.get('/v1/nats_consumers/not-a-uuid')).status).toBe(404);
    // The sink runner's row goes with its runner, stopped by the supervisor within a second.
    await waitFor(async () => (await server.app.ctx.pool.query('SELECT 1 FROM sink_runtime WHERE consumer_id = $1', [id])).rowCount === 0, 10_000, 'the runtime row to go');
  });

  it('offers the same operations over GraphQL', async () => {
    const gql = graphqlClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'nats-gql' })).body.api_token.token);
    const fields = 'id uuid name syncId streamId subjectPrefix deliverPolicy lastPublishedIdx lag connectionState lastError { message at } nats { host port tls user token hasToken hasPassword }';
    const stream = await gql<{ createStream: { uuid: string } }>('mutation { createStream(name: "gql") { uuid } }');
    expect(stream.errors).toBeUndefined();
    const created = await gql<{ createNatsConsumer: any }>(
      `mutation($input: NatsConsumerInput!) { createNatsConsumer(input: $input) { ${fields} } }`,
      { input: { name: 'gql-consumer', nats: { host: '127.0.0.1', port: 1, token: 'graphql-token-123456' } } },
    );
    expect(created.errors).toBeUndefined();
    const consumer = created.data.createNatsConsumer;
    expect(consumer).toMatchObject({
      name: 'gql-consumer',
      syncId: null,
      streamId: stream.data.createStream.uuid,
      subjectPrefix: 'sequin-records',
      deliverPolicy: 'all',
      lastPublishedIdx: '0',
      lag: 0,
      nats: { host: '127.0.0.1', port: 1, tls: false, user: null, token: '…3456', hasToken: true, hasPassword: false },
    });

    const list = await gql<{ natsConsumers: { edges: { node: { uuid: string } }[] } }>('{ natsConsumers { edges { node { uuid } } } }');
    expect(list.data.natsConsumers.edges.map((e) => e.node.uuid)).toEqual([consumer.uuid]);
    const byGlobalId = await gql<{ natsConsumer: { name: string } }>('query($id: ID!) { natsConsumer(id: $id) { name } }', { id: consumer.id });
    expect(byGlobalId.data.natsConsumer.name).toBe('gql-consumer');
    const failing = await waitFor(async () => {
      const answer = await gql<{ natsConsumer: any }>(`query($id: ID!) { natsConsumer(id: $id) { ${fields} } }`, { id: consumer.uuid });
      return answer.data.natsConsumer.lastError ? answer.data.natsConsumer : null;
    }, 10_000, 'the connection failure over GraphQL');
    expect(failing).toMatchObject({ connectionState: 'disconnected', lastError: { message: 'cannot connect to NATS at 127.0.0.1:1: connection refused' } });
    const status = await gql<{ natsConsumer: any }>('query($id: ID!) { natsConsumer(id: $id) { state lagSeconds lastDeliveredAt } }', { id: consumer.uuid });
    expect(status.data.natsConsumer).toEqual({ state: 'disconnected', lagSeconds: 0, lastDeliveredAt: null });

    const updated = await gql<{ updateNatsConsumer: any }>(
      `mutation($id: ID!, $input: NatsConsumerInput!) { updateNatsConsumer(id: $id, input: $input) { ${fields} } }`,
      { id: consumer.id, input: { subjectPrefix: 'gql-records', nats: { token: null, user: 'bob', password: 'builder-pass' } } },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateNatsConsumer).toMatchObject({ subjectPrefix: 'gql-records', nats: { user: 'bob', token: null, hasToken: false, hasPassword: true } });

    const invalid = await gql('mutation { createNatsConsumer(input: {name: "x", nats: {host: "127.0.0.1", port: 99999}}) { uuid } }');
    expect(invalid.errors?.[0]?.extensions?.code).toBe('validation_failed');

    const deleted = await gql<{ deleteNatsConsumer: string }>('mutation($id: ID!) { deleteNatsConsumer(id: $id) }', { id: consumer.id });
    expect(deleted.data.deleteNatsConsumer).toBe(consumer.uuid);
    const gone = await gql<{ natsConsumer: null }>('query($id: ID!) { natsConsumer(id: $id) { name } }', { id: consumer.uuid });
    expect(gone.data.natsConsumer).toBeNull();
  });

  it('takes the filter and start position every consumer kind takes, and records each reset for the publisher', async () => {
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, [{ id: 'cus_r1' }, { id: 'cus_r2' }]);
    const head = Number((await server.app.ctx.prisma.streamHead.findUniqueOrThrow({ where: { streamId: sync.streamId } })).lastIdx);
    const created = await api.post('/v1/nats-consumers', {
      name: 'filtered',
      sync_id: sync.syncId,
      collection_ids: ['stripe:customer'],
      provider: 'stripe',
      deliver_policy: 'by_start_idx',
      opt_start_idx: head - 1,
      nats: CLOSED_PORT,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sync_id: sync.syncId,
      collection_ids: ['stripe:customer'],
      provider: 'stripe',
      deliver_policy: 'by_start_idx',
      opt_start_idx: head - 1,
      opt_start_time: null,
      start_idx: head - 2,
      reset_count: 0,
    });
    const id = created.body.id;
    const row = async () =>
      (await server.app.ctx.pool.query('SELECT generation, start_idx::int AS start_idx, reset_count, collection_ids, provider, deliver_policy FROM nats_consumers WHERE id = $1', [id])).rows[0];
    const generation = (await row()).generation;

    const fresh = await api.post(`/v1/nats_consumers/${id}/reset`, { deliver_policy: 'new' });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ deliver_policy: 'new', opt_start_idx: null, start_idx: head, reset_count: 1 });
    const byTime = await api.post(`/v1/nats-consumers/${id}/reset`, { deliver_policy: 'by_start_time', opt_start_time: '2000-01-01T00:00:00Z' });
    expect(byTime.body).toMatchObject({ deliver_policy: 'by_start_time', opt_start_time: '2000-01-01T00:00:00.000Z', reset_count: 2 });
    expect(byTime.body.start_idx).toBeLessThan(head);
    expect(await row()).toEqual({ generation: generation + 2, start_idx: byTime.body.start_idx, reset_count: 2, collection_ids: ['stripe:customer'], provider: 'stripe', deliver_policy: 'by_start_time' });
    const { events } = await server.app.ctx.eventStore.readStream(`nats-consumer-${id}`);
    expect(events.map((e) => e.type)).toEqual(['NatsConsumerCreated', 'NatsConsumerReset', 'NatsConsumerReset']);
    expect(events[1]!.data).toMatchObject({ deliverPolicy: 'new', startIdx: String(head), resetCount: 1 });

    const codeOf = async (answer: Promise<{ status: number; body: any }>) => {
      const { status, body } = await answer;
      return [status, body.error?.code];
    };
    const create = (body: Record<string, unknown>) => api.post('/v1/nats-consumers', { name: 'bad-start', nats: CLOSED_PORT, ...body });
    expect(await codeOf(create({ deliver_policy: 'by_start_time' }))).toEqual([422, 'invalid_start_position']);
    expect(await codeOf(create({ deliver_policy: 'all', opt_start_idx: 4 }))).toEqual([422, 'invalid_start_position']);
    expect(await codeOf(create({ provider: 'nosuchprovider' }))).toEqual([422, 'unknown_provider']);
    expect(await codeOf(create({ provider: 'hubspot', collection_ids: ['stripe:customer'] }))).toEqual([422, 'collection_not_of_provider']);
    expect(await codeOf(create({ sync_id: sync.syncId, collection_ids: ['stripe:invoice'] }))).toEqual([422, 'unknown_collection']);
    expect(await codeOf(create({ collection_ids: ['customer'] }))).toEqual([400, 'validation_failed']);
    expect(await codeOf(api.post(`/v1/nats-consumers/${id}/reset`, { deliver_policy: 'by_start_idx' }))).toEqual([422, 'invalid_start_position']);
    expect(await codeOf(api.post(`/v1/nats-consumers/${id}/reset`, { deliver_policy: 'by_start_time', opt_start_time: 'last tuesday' }))).toEqual([400, 'validation_failed']);
    expect(await codeOf(api.post(`/v1/nats_consumers/${id}/reset`, { deliver_policy: 'all', nats: CLOSED_PORT }))).toEqual([400, 'validation_failed']);
    expect(await codeOf(other.post(`/v1/nats_consumers/${id}/reset`, { deliver_policy: 'all' }))).toEqual([404, 'not_found']);
    expect((await row()).reset_count).toBe(2);
  });

  it('takes the filter and start position over GraphQL, and resets', async () => {
    const gql = graphqlClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'nats-gql-reset' })).body.api_token.token);
    const fields = 'uuid collectionIds provider deliverPolicy optStartTime optStartIdx startIdx resetCount';
    expect((await gql('mutation { createStream(name: "gql-reset") { uuid } }')).errors).toBeUndefined();
    const created = await gql<{ createNatsConsumer: any }>(`mutation($input: NatsConsumerInput!) { createNatsConsumer(input: $input) { ${fields} } }`, {
      input: { name: 'gql-filtered', collectionIds: ['hubspot:contact'], provider: 'hubspot', deliverPolicy: 'by_start_idx', optStartIdx: '10', nats: { host: '127.0.0.1', port: 1 } },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createNatsConsumer).toMatchObject({ collectionIds: ['hubspot:contact'], provider: 'hubspot', deliverPolicy: 'by_start_idx', optStartIdx: '10', optStartTime: null, startIdx: '9', resetCount: 0 });
    const reset = await gql<{ resetNatsConsumer: any }>(`mutation($id: ID!, $input: ConsumerResetInput!) { resetNatsConsumer(id: $id, input: $input) { ${fields} } }`, {
      id: created.data.createNatsConsumer.uuid,
      input: { deliverPolicy: 'all' },
    });
    expect(reset.errors).toBeUndefined();
    expect(reset.data.resetNatsConsumer).toMatchObject({ deliverPolicy: 'all', optStartIdx: null, startIdx: '0', resetCount: 1 });
    const refused = await gql(`mutation($id: ID!) { resetNatsConsumer(id: $id, input: { deliverPolicy: "all", optStartTime: "2026-01-01T00:00:00Z" }) { uuid } }`, {
      id: created.data.createNatsConsumer.uuid,
    });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_start_position', status: 422 });
  });

  it('rebuilds the consumer read model from its events, keeping the publisher checkpoints', async () => {
    const dump = async () => ({
      consumers: (await server.app.ctx.pool.query('SELECT * FROM nats_consumers ORDER BY id')).rows,
      runtime: (await server.app.ctx.pool.query(`SELECT consumer_id, position AS last_published_idx FROM sink_runtime WHERE kind = 'nats' ORDER BY consumer_id`)).rows,
    });
    // Runners create their rows within a second of a consumer's creation: wait for every one.
    await waitFor(async () => {
      const { rows } = await server.app.ctx.pool.query(`SELECT count(*) FILTER (WHERE r.consumer_id IS NULL) AS missing FROM nats_consumers c LEFT JOIN sink_runtime r ON r.consumer_id = c.id`);
      return Number(rows[0].missing) === 0;
    }, 10_000, 'a runtime row for every NATS consumer');
    await server.app.ctx.pool.query(`UPDATE sink_runtime SET position = 2 WHERE consumer_id = (SELECT id FROM nats_consumers WHERE name = 'all-syncs')`);
    const before = await dump();
    expect(before.consumers.length).toBeGreaterThanOrEqual(4);
    expect(before.consumers.find((c) => c.name === 'patched')).toMatchObject({ generation: 2, nats_user: 'alice' });
    await rebuildReadModels(server.app.ctx.pool, [natsConsumersProjection] as never);
    expect(await dump()).toEqual(before);
  });
});
