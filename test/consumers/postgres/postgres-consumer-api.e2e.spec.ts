import pg from 'pg';
import { postgresConsumersProjection } from '../../../src/projections/postgres-consumers.ts';
import { rebuildReadModels } from '../../../src/projections/rebuild.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient, type RestClient } from '../../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { freePort } from '../../support/free-port.ts';
import { createSeedableSync } from '../../support/nats.ts';
import { seedRecords } from '../../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../../support/server.ts';

const PASSWORD = 'pg-target-password-s3cr3t-0123';

describe('PostgreSQL consumers API (REST and GraphQL)', () => {
  let server: TestServer;
  let target: TestDatabase;
  let targetDb: pg.Client;
  let targetName: string;
  let api: RestClient;
  let other: RestClient;
  let gql: ReturnType<typeof graphqlClient>;
  let sync: { syncId: string; streamId: string };

  /** The fields form of the local target (trust authentication: any password is accepted). */
  const fields = (overrides: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: 5432, database: targetName, user: 'postgres', ...overrides });
  const tables = async () =>
    (await targetDb.query(`SELECT schemaname || '.' || tablename AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)).rows.map(
      (r) => r.name as string,
    );

  beforeAll(async () => {
    // Only 127.0.0.1 (where the target listens) is allowed: other loopback addresses stand for internal ones.
    server = await startTestServer({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32,::1/128,localhost' }, { disableSyncs: true });
    target = await createTestDatabase();
    targetName = new URL(target.url).pathname.slice(1);
    targetDb = new pg.Client({ connectionString: target.url });
    await targetDb.connect();
    const root = restClient(server.url, ROOT_TOKEN);
    const token = (await root.post('/v1/accounts', { name: 'pg-api' })).body.api_token.token;
    api = restClient(server.url, token);
    gql = graphqlClient(server.url, token);
    other = restClient(server.url, (await root.post('/v1/accounts', { name: 'pg-api-other' })).body.api_token.token);
    sync = await createSeedableSync(api);
  });
  afterAll(async () => {
    await targetDb?.end();
    await server?.stop();
    await target?.drop();
  });

  it('creates a consumer from a URL: the table is made in the target, the password is sealed, answered as a hint, in no event and no log', async () => {
    const url = `postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:5432/${targetName}?sslmode=disable`;
    const created = await api.post('/v1/postgres-consumers', { name: 'warehouse', sync_id: sync.syncId, connection: { url } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'warehouse',
      stream_id: sync.streamId,
      sync_id: sync.syncId,
      collection_ids: null,
      provider: null,
      deliver_policy: 'all',
      start_idx: 0,
      reset_count: 0,
      connection: {
        url: `postgres://postgres@127.0.0.1:5432/${targetName}?sslmode=disable`,
        host: '127.0.0.1',
        port: 5432,
        database: targetName,
        user: 'postgres',
        ssl: false,
        ssl_mode: 'disable',
        password: `…${PASSWORD.slice(-4)}`,
        has_password: true,
      },
      table: 'public.syncline_records',
      create_table: true,
      deletes: 'mark',
      batch_size: 500,
    });
    const id = created.body.id;

    expect(await tables()).toEqual(['public.syncline_records']);
    const columns = await targetDb.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'syncline_records' ORDER BY ordinal_position`,
    );
    expect(columns.rows.map((c) => `${c.column_name} ${c.data_type}`)).toEqual([
      'sync_id text',
      'collection_id text',
      'upstream_id text',
      'updated_idx bigint',
      'upstream_created_at timestamp with time zone',
      'upstream_updated_at timestamp with time zone',
      'deleted boolean',
      'data jsonb',
      'inserted_at timestamp with time zone',
    ]);

    const answers = [created.body, (await api.get(`/v1/postgres-consumers/${id}`)).body, (await api.get('/v1/postgres_consumers')).body];
    for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(PASSWORD);
    const stored = await server.app.ctx.pool.query(`SELECT row_to_json(c)::text AS row FROM postgres_consumers c WHERE id = $1`, [id]);
    expect(stored.rows[0].row).not.toContain(PASSWORD);
    expect(stored.rows[0].row).toMatch(/"password_encrypted":"v1\./);
    const events = await server.app.ctx.pool.query(`SELECT message_data::text AS data FROM emt_messages WHERE stream_id = $1`, [`postgres-consumer-${id}`]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].data).not.toContain(PASSWORD);
    expect(server.logLines.join('')).not.toContain(PASSWORD);
    expect(server.app.ctx.secretBox.open(JSON.parse(events.rows[0].data).passwordSealed)).toBe(PASSWORD);
  });

  it('finds a consumer by id or by name, under both paths; another account sees none of it', async () => {
    const list = await api.get('/v1/postgres-consumers');
    const id = list.body.data.find((c: { name: string }) => c.name === 'warehouse').id;
    expect((await api.get('/v1/postgres_consumers/warehouse')).body.id).toBe(id);
    expect((await api.get(`/v1/postgres_consumers/${id.toUpperCase()}`)).body.id).toBe(id);
    expect((await api.get('/v1/postgres-consumers/nobody')).status).toBe(404);

    expect((await other.get('/v1/postgres-consumers')).body.data).toEqual([]);
    for (const ref of [id, 'warehouse']) {
      expect((await other.get(`/v1/postgres-consumers/${ref}`)).status).toBe(404);
      expect((await other.patch(`/v1/postgres-consumers/${ref}`, { batch_size: 10 })).status).toBe(404);
      expect((await other.post(`/v1/postgres-consumers/${ref}/reset`, { deliver_policy: 'all' })).status).toBe(404);
      expect((await other.delete(`/v1/postgres_consumers/${ref}`)).status).toBe(404);
    }
    const theirs = await gql(`query($id: ID!) { postgresConsumer(id: $id) { name } postgresConsumers { edges { node { name } } } }`, { id });
    expect(theirs.data).toMatchObject({ postgresConsumer: { name: 'warehouse' } });
    const graphOther = graphqlClient(server.url, null);
    expect((await graphOther(`{ postgresConsumers { edges { node { name } } } }`)).errors).toBeDefined();
  });

  it('refuses an existing table whose columns do not fit, naming the column; nothing is created', async () => {
    await targetDb.query(`CREATE SCHEMA analytics`);
    await targetDb.query(`CREATE TABLE analytics.records (sync_id text, collection_id text, upstream_id text, updated_idx bigint,
      upstream_created_at timestamptz, upstream_updated_at timestamptz, deleted boolean, data text, PRIMARY KEY (sync_id, collection_id, upstream_id))`);
    const refused = await api.post('/v1/postgres-consumers', { name: 'misfit', connection: fields(), table: 'analytics.records' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'table_mismatch', details: [{ path: 'table', message: 'column data is text, not jsonb' }] });
    expect(refused.body.error.message).toBe(`127.0.0.1:5432/${targetName}, table analytics.records: column data is text, not jsonb`);

    await targetDb.query(`ALTER TABLE analytics.records DROP COLUMN upstream_updated_at`);
    const missing = await api.post('/v1/postgres-consumers', { name: 'misfit', connection: fields(), table: 'Analytics.Records' });
    expect(missing.body.error).toMatchObject({ code: 'table_mismatch', details: [{ path: 'table', message: 'column upstream_updated_at is missing (timestamptz)' }] });
    expect((await api.get('/v1/postgres-consumers/misfit')).status).toBe(404);
  });

  it('refuses table names that are not plain identifiers (SQL in them included) with 400: nothing reaches the target', async () => {
    const before = await tables();
    const names = [
      'records; DROP TABLE public.syncline_records',
      'public.records"; DROP TABLE x; --',
      '"quoted"',
      'two words',
      'a.b.c',
      '1records',
      'records--',
      "records'",
      'x'.repeat(64),
      '',
      'public.',
      'réçords',
    ];
    for (const table of names) {
      const answer = await api.post('/v1/postgres-consumers', { name: 'injected', connection: fields(), table });
      expect([answer.status, answer.body.error.code, answer.body.error.details[0].path], table).toEqual([400, 'validation_failed', 'table']);
    }
    const graph = await gql(`mutation($input: PostgresConsumerInput!) { createPostgresConsumer(input: $input) { id } }`, {
      input: { name: 'injected', connection: fields(), table: 'x; DROP TABLE public.syncline_records' },
    });
    expect(graph.errors?.[0]?.extensions).toMatchObject({ code: 'validation_failed' });
    expect(await tables()).toEqual(before);
    expect((await api.get('/v1/postgres-consumers/injected')).status).toBe(404);
  });

  it('refuses bad connection settings with a code, before writing anything', async () => {
    const codeOf = async (body: Record<string, unknown>) => {
      const answer = await api.post('/v1/postgres-consumers', { name: 'bad', ...body });
      return [answer.status, answer.body.error?.code, answer.body.error?.details?.[0]?.path];
    };
    expect(await codeOf({ connection: { url: 'http://127.0.0.1:5432/db' } })).toEqual([422, 'invalid_connection', 'connection.url']);
    expect(await codeOf({ connection: { url: 'postgres://postgres@127.0.0.1:5432' } })).toEqual([422, 'invalid_connection', 'connection.url']);
    expect(await codeOf({ connection: { url: 'postgres://postgres@127.0.0.1/db?host=/tmp' } })).toEqual([422, 'invalid_connection', 'connection.url']);
    expect(await codeOf({ connection: { url: 'postgres://postgres@h1,h2/db' } })).toEqual([422, 'invalid_connection', 'connection.url']);
    expect(await codeOf({ connection: { url: `postgres://postgres@127.0.0.1/${targetName}`, host: '127.0.0.1' } })).toEqual([422, 'invalid_connection', 'connection']);
    expect(await codeOf({ connection: { host: '127.0.0.1', user: 'postgres' } })).toEqual([422, 'invalid_connection', 'connection.database']);
    expect(await codeOf({ connection: fields({ ssl: true, ssl_mode: 'disable' }) })).toEqual([422, 'invalid_connection', 'connection.ssl']);
    expect(await codeOf({ connection: fields({ port: 0 }) })).toEqual([400, 'validation_failed', 'connection.port']);
    expect(await codeOf({ connection: fields({ host: 'db.example.com/x' }) })).toEqual([400, 'validation_failed', 'connection.host']);
    expect(await codeOf({ connection: fields(), deletes: 'purge' })).toEqual([400, 'validation_failed', 'deletes']);
    expect(await codeOf({ connection: fields(), batch_size: 5001 })).toEqual([400, 'validation_failed', 'batch_size']);
    expect(await codeOf({ connection: fields(), deliver_policy: 'by_start_idx' })).toEqual([422, 'invalid_start_position', 'opt_start_idx']);
    expect(await codeOf({ connection: fields({ host: '127.0.0.2' }) })).toEqual([422, 'egress_refused', 'connection.host']);
    expect(await codeOf({ connection: fields({ port: await freePort() }) })).toEqual([422, 'target_unreachable', 'connection']);
    expect(await codeOf({ connection: fields({ user: 'no_such_role', password: PASSWORD }) })).toEqual([422, 'target_auth_failed', 'connection.password']);
    expect(await codeOf({ connection: fields({ database: 'no_such_database_here' }) })).toEqual([422, 'target_database_not_found', 'connection.database']);
    expect(await codeOf({ connection: fields(), table: 'nowhere.records' })).toEqual([422, 'schema_not_found', 'table']);
    expect(await codeOf({ connection: fields(), table: 'not_there', create_table: false })).toEqual([422, 'table_not_found', 'table']);
    expect(await codeOf({ connection: fields(), name: 'warehouse' })).toEqual([409, 'consumer_name_taken', undefined]);
    expect(await codeOf({ connection: fields(), sync_id: '00000000-0000-4000-8000-000000000000' })).toEqual([422, 'sync_not_found', 'sync_id']);
    expect(server.logLines.join('')).not.toContain(PASSWORD);
    expect(await tables()).toEqual(['analytics.records', 'public.syncline_records']);
  });

  it('changes settings with PATCH; another host needs the password again; the target is checked again', async () => {
    const created = await api.post('/v1/postgres_consumers', {
      name: 'patchable',
      connection: fields({ password: PASSWORD }),
      table: 'patched_records',
      deletes: 'delete',
      batch_size: 100,
      collection_ids: ['stripe:customer'],
      provider: 'stripe',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ collection_ids: ['stripe:customer'], provider: 'stripe', table: 'public.patched_records', deletes: 'delete', batch_size: 100 });
    expect(created.body.connection).toMatchObject({ url: null, password: `…${PASSWORD.slice(-4)}`, has_password: true });

    const renamed = await api.patch('/v1/postgres-consumers/patchable', { name: 'patched', batch_size: 2000, deletes: 'mark' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'patched', batch_size: 2000, deletes: 'mark', connection: { has_password: true } });

    const moved = await api.patch('/v1/postgres-consumers/patched', { connection: { host: 'localhost' } });
    expect([moved.status, moved.body.error.code, moved.body.error.details[0].path]).toEqual([422, 'password_required', 'connection.password']);
    const movedWithPassword = await api.patch('/v1/postgres-consumers/patched', { connection: { host: 'localhost', password: 'another-password-9876' } });
    expect(movedWithPassword.body.connection).toMatchObject({ host: 'localhost', password: '…9876' });
    const noPassword = await api.patch('/v1/postgres-consumers/patched', { connection: { password: null } });
    expect(noPassword.body.connection).toMatchObject({ password: null, has_password: false });

    const mismatched = await api.patch('/v1/postgres-consumers/patched', { table: 'analytics.records' });
    expect(mismatched.body.error.code).toBe('table_mismatch');
    const elsewhere = await api.patch('/v1/postgres-consumers/patched', { table: 'analytics.other_records' });
    expect(elsewhere.body.table).toBe('analytics.other_records');
    expect(await tables()).toContain('analytics.other_records');
    expect((await api.patch('/v1/postgres-consumers/patched', { sync_id: sync.syncId })).body.error.code).toBe('validation_failed');

    const generation = await server.app.ctx.prisma.postgresConsumer.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(generation.generation).toBe(4);
  });

  it('resets to another start position: an event in the history, the start and reset count in the answer', async () => {
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, [{ id: 'cus_a' }, { id: 'cus_b' }, { id: 'cus_c' }]);
    const head = await server.app.ctx.prisma.streamHead.findUniqueOrThrow({ where: { streamId: sync.streamId } });
    const fresh = await api.post('/v1/postgres-consumers', { name: 'resettable', connection: fields(), deliver_policy: 'new' });
    expect(fresh.body).toMatchObject({ deliver_policy: 'new', start_idx: Number(head.lastIdx) });

    const back = await api.post('/v1/postgres-consumers/resettable/reset', { deliver_policy: 'by_start_idx', opt_start_idx: 2 });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body).toMatchObject({ deliver_policy: 'by_start_idx', opt_start_idx: 2, start_idx: 1, reset_count: 1 });
    const all = await api.post('/v1/postgres_consumers/resettable/reset', {});
    expect(all.body).toMatchObject({ deliver_policy: 'all', opt_start_idx: null, start_idx: 0, reset_count: 2 });
    const wrong = await api.post('/v1/postgres-consumers/resettable/reset', { deliver_policy: 'by_start_time' });
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'invalid_start_position']);

    const events = await server.app.ctx.pool.query(`SELECT message_type FROM emt_messages WHERE stream_id = $1 ORDER BY stream_position`, [`postgres-consumer-${fresh.body.id}`]);
    expect(events.rows.map((r) => r.message_type)).toEqual(['PostgresConsumerCreated', 'PostgresConsumerReset', 'PostgresConsumerReset']);
  });

  it('counts against the account\'s consumer quota with the other kinds', async () => {
    const root = restClient(server.url, ROOT_TOKEN);
    const account = (await root.post('/v1/accounts', { name: 'pg-quota' })).body;
    const limited = restClient(server.url, account.api_token.token);
    await limited.post('/v1/streams', { name: 'only' });
    expect((await root.patch(`/v1/accounts/${account.account.id}`, { limits: { max_consumers: 2 } })).status).toBe(200);
    expect((await limited.post('/v1/http-consumers', { name: 'pull' })).status).toBe(201);
    expect((await limited.post('/v1/postgres-consumers', { name: 'first', connection: fields(), table: 'quota_records' })).status).toBe(201);
    const over = await limited.post('/v1/postgres-consumers', { name: 'second', connection: fields(), table: 'quota_records' });
    expect([over.status, over.body.error.code]).toEqual([422, 'quota_exceeded']);
  });

  it('rebuilds the read model from the events as it was (settings, start, resets, generation)', async () => {
    const dump = async () => (await server.app.ctx.pool.query(`SELECT row_to_json(c)::jsonb AS row FROM postgres_consumers c ORDER BY id`)).rows.map((r) => r.row);
    const before = await dump();
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.find((c) => c.name === 'resettable')).toMatchObject({ reset_count: 2, generation: 2, deliver_policy: 'all', start_idx: 0 });
    await rebuildReadModels(server.app.ctx.pool, [postgresConsumersProjection] as never);
    expect(await dump()).toEqual(before);
  });

  it('deletes a consumer by name; the table and its rows stay', async () => {
    expect((await api.delete('/v1/postgres-consumers/resettable')).status).toBe(204);
    expect((await api.get('/v1/postgres-consumers/resettable')).status).toBe(404);
    expect((await api.delete('/v1/postgres-consumers/resettable')).status).toBe(404);
    expect(await tables()).toContain('public.syncline_records');
  });

  it('GraphQL: create, read with its stream and sync, update, reset and delete', async () => {
    const fieldsOf = `id uuid name table deletes batchSize startIdx resetCount deliverPolicy optStartIdx
      connection { url host port database user ssl sslMode password hasPassword } stream { uuid } sync { uuid }`;
    const created = await gql(`mutation($input: PostgresConsumerInput!) { createPostgresConsumer(input: $input) { ${fieldsOf} } }`, {
      input: { name: 'graph', syncId: sync.syncId, connection: { url: `postgresql://postgres:${PASSWORD}@127.0.0.1/${targetName}` }, table: 'graph_records', deletes: 'delete' },
    });
    expect(created.errors).toBeUndefined();
    const consumer = created.data.createPostgresConsumer;
    expect(consumer).toMatchObject({
      name: 'graph',
      table: 'public.graph_records',
      deletes: 'delete',
      batchSize: 500,
      startIdx: '0',
      resetCount: 0,
      connection: { url: `postgresql://postgres@127.0.0.1/${targetName}`, port: 5432, ssl: false, sslMode: 'disable', password: `…${PASSWORD.slice(-4)}`, hasPassword: true },
      stream: { uuid: sync.streamId },
      sync: { uuid: sync.syncId },
    });
    expect(JSON.stringify(created)).not.toContain(PASSWORD);
    expect(await tables()).toContain('public.graph_records');

    const listed = await gql(`query($id: ID!) { postgresConsumer(id: $id) { name } sync: node(id: $id) { id } }`, { id: consumer.id });
    expect(listed.data.postgresConsumer.name).toBe('graph');
    const fromStream = await gql(`query($id: ID!) { stream(id: $id) { postgresConsumers { edges { node { name } } } } }`, { id: sync.streamId });
    expect(fromStream.data.stream.postgresConsumers.edges.map((e: { node: { name: string } }) => e.node.name)).toContain('graph');

    const updated = await gql(`mutation($id: ID!, $input: PostgresConsumerInput!) { updatePostgresConsumer(id: $id, input: $input) { batchSize deletes connection { hasPassword } } }`, {
      id: consumer.id,
      input: { batchSize: 50, deletes: 'mark', connection: { password: null } },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updatePostgresConsumer).toEqual({ batchSize: 50, deletes: 'mark', connection: { hasPassword: false } });

    const reset = await gql(`mutation($id: ID!) { resetPostgresConsumer(id: $id, input: { deliverPolicy: "by_start_idx", optStartIdx: "3" }) { startIdx optStartIdx resetCount deliverPolicy } }`, {
      id: consumer.uuid,
    });
    expect(reset.data.resetPostgresConsumer).toEqual({ startIdx: '2', optStartIdx: '3', resetCount: 1, deliverPolicy: 'by_start_idx' });

    const badTable = await gql(`mutation($id: ID!) { updatePostgresConsumer(id: $id, input: { table: "a;b" }) { id } }`, { id: consumer.id });
    expect(badTable.errors?.[0]?.extensions).toMatchObject({ code: 'validation_failed' });

    const deleted = await gql(`mutation($id: ID!) { deletePostgresConsumer(id: $id) }`, { id: consumer.id });
    expect(deleted.data.deletePostgresConsumer).toBe(consumer.uuid);
    const otherGraph = graphqlClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'pg-graph-other' })).body.api_token.token);
    const warehouse = (await api.get('/v1/postgres-consumers/warehouse')).body.id;
    expect((await otherGraph(`query($id: ID!) { postgresConsumer(id: $id) { name } }`, { id: warehouse })).data.postgresConsumer).toBeNull();
    expect((await otherGraph(`mutation($id: ID!) { deletePostgresConsumer(id: $id) }`, { id: warehouse })).errors?.[0]?.extensions).toMatchObject({ code: 'not_found' });
  });
});
