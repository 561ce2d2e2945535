import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient, type RestClient } from '../../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { createSeedableSync } from '../../support/nats.ts';
import { seedRecords } from '../../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../../support/server.ts';
import { waitFor } from '../../support/wait.ts';

/**
 * PostgreSQL consumers end to end (DESIGN.md §7b, issue 23): a real server's sink runner upserts
 * the stream into tables of a separate database; the tables hold the stream's latest versions
 * after changes and deletes (both delete modes), the status and the delivery log say so, a reset
 * replays without changing a row, and an outage of the table shows in the status.
 */

type Row = { sync_id: string; collection_id: string; upstream_id: string; updated_idx: string; deleted: boolean; data: unknown; upstream_updated_at: string | null };

const columns = `sync_id::text, collection_id, upstream_id, updated_idx::text, deleted, data, to_char(upstream_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS upstream_updated_at`;
const order = 'ORDER BY sync_id, collection_id, upstream_id';

describe('PostgreSQL consumers deliver (sink runner, real PostgreSQL)', () => {
  let server: TestServer;
  let target: TestDatabase;
  let targetDb: pg.Client;
  let api: RestClient;
  let other: RestClient;
  let gql: ReturnType<typeof graphqlClient>;
  let otherGql: ReturnType<typeof graphqlClient>;
  let sync: { syncId: string; streamId: string };
  const consumers: Record<'mark' | 'delete', { id: string; name: string }> = {} as never;

  const streamRows = async (): Promise<Row[]> => (await server.app.ctx.pool.query<Row>(`SELECT ${columns} FROM records WHERE sync_id = $1 ${order}`, [sync.syncId])).rows;
  const tableRows = async (table: string): Promise<Row[]> => (await targetDb.query<Row>(`SELECT ${columns} FROM public.${table} ${order}`)).rows;
  const status = async (id: string) => (await api.get(`/v1/postgres-consumers/${id}`)).body;
  const deliveries = async (id: string) => (await api.get(`/v1/postgres-consumers/${id}/deliveries?limit=1000`)).body.data as Record<string, unknown>[];

  async function caughtUp(id: string) {
    return waitFor(async () => {
      const answer = await status(id);
      return answer.lag === 0 && answer.last_delivered_at !== null && answer.state === 'connected' && answer.last_error === null ? answer : null;
    }, 20_000, `consumer ${id} caught up`);
  }

  /** Both tables hold what the stream holds: every latest version (marked), or the live ones (deleted). */
  async function expectTablesMatchStream() {
    await caughtUp(consumers.mark.id);
    await caughtUp(consumers.delete.id);
    const stream = await streamRows();
    expect(await tableRows('marked')).toEqual(stream);
    expect(await tableRows('live_only')).toEqual(stream.filter((r) => !r.deleted));
    return stream;
  }

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    target = await createTestDatabase();
    targetDb = new pg.Client({ connectionString: target.url });
    await targetDb.connect();
    const root = restClient(server.url, ROOT_TOKEN);
    const token = (await root.post('/v1/accounts', { name: 'pg-delivery' })).body.api_token.token;
    const otherToken = (await root.post('/v1/accounts', { name: 'pg-delivery-other' })).body.api_token.token;
    api = restClient(server.url, token);
    other = restClient(server.url, otherToken);
    gql = graphqlClient(server.url, token);
    otherGql = graphqlClient(server.url, otherToken);
    sync = await createSeedableSync(api, ['stripe:customer', 'stripe:invoice']);
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, Array.from({ length: 20 }, (_, i) => ({ id: `cus_${i}`, data: { id: `cus_${i}`, email: `c${i}@example.com` } })));
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:invoice' }, Array.from({ length: 5 }, (_, i) => ({ id: `in_${i}`, data: { id: `in_${i}`, total: i } })));
    const url = `postgres://postgres@127.0.0.1:5432/${new URL(target.url).pathname.slice(1)}`;
    for (const [mode, table] of [['mark', 'marked'], ['delete', 'live_only']] as const) {
      const created = await api.post('/v1/postgres-consumers', { name: `warehouse-${mode}`, sync_id: sync.syncId, connection: { url }, table, deletes: mode, batch_size: 7 });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      // A create signals the runners at once, so the answer may already show the runner connected.
      expect(created.body).toMatchObject({ lag: 25, last_delivered_at: null, last_error: null });
      expect(['connecting', 'connected']).toContain(created.body.state);
      consumers[mode] = created.body;
    }
  }, 60_000);
  afterAll(async () => {
    await targetDb?.end();
    await server?.stop();
    await target?.drop();
  });

  it('writes the stream into the tables: the latest version of every record, after changes and deletes, in both delete modes', async () => {
    const initial = await expectTablesMatchStream();
    expect(initial).toHaveLength(25);

    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, [
      ...Array.from({ length: 5 }, (_, i) => ({ id: `cus_${i}`, data: { id: `cus_${i}`, email: `changed${i}@example.com` } })),
      { id: 'cus_5', deleted: true },
      { id: 'cus_6', deleted: true },
      { id: 'cus_new' },
    ]);
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:invoice' }, [{ id: 'in_0', deleted: true }]);
    const after = await expectTablesMatchStream();
    expect(after.filter((r) => r.deleted).map((r) => r.upstream_id).sort()).toEqual(['cus_5', 'cus_6', 'in_0']);
    expect((await tableRows('marked')).find((r) => r.upstream_id === 'cus_5')).toMatchObject({ deleted: true, data: { id: 'cus_5' } });
    expect((await tableRows('live_only')).map((r) => r.upstream_id)).not.toContain('cus_5');
    expect((await tableRows('marked')).find((r) => r.upstream_id === 'cus_2')?.data).toEqual({ id: 'cus_2', email: 'changed2@example.com' });
  });

  it('answers its status and its delivery log (REST, both paths, and GraphQL)', async () => {
    const caught = await caughtUp(consumers.mark.id);
    expect(caught).toMatchObject({ state: 'connected', lag: 0, lag_seconds: 0, last_error: null });
    const listed = (await api.get('/v1/postgres-consumers')).body.data.find((c: { id: string }) => c.id === consumers.mark.id);
    expect(listed).toMatchObject({ state: 'connected', lag: 0, last_delivered_at: caught.last_delivered_at, last_error: null });

    const log = await deliveries(consumers.mark.id);
    // 25 records in batches of 7, then the changes.
    expect(log.length).toBeGreaterThanOrEqual(5);
    for (const entry of log) {
      expect(entry).toEqual({
        at: expect.any(String),
        batch_id: expect.stringMatching(/^msg_/),
        batch_size: expect.any(Number),
        status: null,
        latency_ms: expect.any(Number),
        error: null,
        response_excerpt: expect.stringMatching(/^\d+ written, \d+ deleted, \d+ unchanged/),
      });
    }
    expect(log.slice(-4).map((e) => [e.batch_size, e.response_excerpt])).toEqual([
      [4, '4 written, 0 deleted, 0 unchanged (already as new or newer)'],
      [7, '7 written, 0 deleted, 0 unchanged (already as new or newer)'],
      [7, '7 written, 0 deleted, 0 unchanged (already as new or newer)'],
      [7, '7 written, 0 deleted, 0 unchanged (already as new or newer)'],
    ]);
    expect((await api.get(`/v1/postgres_consumers/${consumers.mark.name}/deliveries?limit=2`)).body).toEqual({ data: log.slice(0, 2), next_cursor: expect.any(String) });
    // Deletes remove rows in the other mode, and the log says so.
    expect((await deliveries(consumers.delete.id)).some((e) => /[1-9]\d* deleted/.test(e.response_excerpt as string))).toBe(true);

    const graph = await gql(
      `query($id: ID!) { postgresConsumer(id: $id) { state lag lagSeconds lastDeliveredAt lastError { message at }
         deliveries(first: 1) { nodes { at batchId batchSize status latencyMs error responseExcerpt } nextCursor } } }`,
      { id: consumers.mark.id },
    );
    expect(graph.errors).toBeUndefined();
    const [newest] = log;
    expect(graph.data.postgresConsumer).toEqual({
      state: 'connected',
      lag: 0,
      lagSeconds: 0,
      lastDeliveredAt: caught.last_delivered_at,
      lastError: null,
      deliveries: {
        nodes: [{ at: newest!.at, batchId: newest!.batch_id, batchSize: newest!.batch_size, status: null, latencyMs: newest!.latency_ms, error: null, responseExcerpt: newest!.response_excerpt }],
        nextCursor: expect.any(String),
      },
    });
    const tooMany = await gql(`query($id: ID!) { postgresConsumer(id: $id) { deliveries(first: 1001) { nextCursor } } }`, { id: consumers.mark.id });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'validation_failed', status: 400 });
    // PostgreSQL consumers never dead-letter: no such route.
    expect((await api.get(`/v1/postgres-consumers/${consumers.mark.id}/dead-letters`)).status).toBe(404);
  });

  it('replays on a reset without changing a row (the idx guard), over REST and GraphQL alike', async () => {
    const before = { marked: await targetDb.query(`SELECT *, inserted_at::text FROM public.marked ${order}`), live: await tableRows('live_only') };
    const logged = (await deliveries(consumers.mark.id)).length;
    const reset = await api.post(`/v1/postgres-consumers/${consumers.mark.id}/reset`, { deliver_policy: 'all' });
    expect(reset.body).toMatchObject({ reset_count: 1, start_idx: 0 });
    const graph = await gql(`mutation($id: ID!, $input: ConsumerResetInput!) { resetPostgresConsumer(id: $id, input: $input) { resetCount startIdx } }`, {
      id: consumers.delete.id,
      input: { deliverPolicy: 'all' },
    });
    expect(graph).toEqual({ data: { resetPostgresConsumer: { resetCount: 1, startIdx: '0' } } });

    const replayed = await waitFor(
      async () => {
        const log = await deliveries(consumers.mark.id);
        const fresh = log.slice(0, log.length - logged);
        return fresh.reduce((sum, e) => sum + (e.batch_size as number), 0) === 26 ? fresh : null;
      },
      20_000,
      'the replay',
    );
    for (const entry of replayed) expect(entry.response_excerpt).toBe(`0 written, 0 deleted, ${entry.batch_size} unchanged (already as new or newer)`);
    await expectTablesMatchStream();
    expect((await targetDb.query(`SELECT *, inserted_at::text FROM public.marked ${order}`)).rows).toEqual(before.marked.rows);
    expect(await tableRows('live_only')).toEqual(before.live);
  });

  it('shows a target that fails in its status and log, retries, and catches up once it is back', async () => {
    await targetDb.query('ALTER TABLE public.marked RENAME TO marked_away');
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, [{ id: 'cus_10', data: { id: 'cus_10', email: 'during-outage@example.com' } }]);
    const failing = await waitFor(async () => {
      const answer = await status(consumers.mark.id);
      return answer.last_error ? answer : null;
    }, 10_000, 'the failure in the status');
    expect(failing).toMatchObject({ state: 'error', lag: 1, last_error: { message: expect.stringContaining('table_not_found'), at: expect.any(String) } });
    expect(failing.last_error.message).not.toContain('password');
    const [failed] = await deliveries(consumers.mark.id);
    expect(failed).toMatchObject({ batch_size: 1, status: null, error: expect.stringContaining('table_not_found'), response_excerpt: null });

    await targetDb.query('ALTER TABLE public.marked_away RENAME TO marked');
    await expectTablesMatchStream();
    expect((await tableRows('marked')).find((r) => r.upstream_id === 'cus_10')?.data).toEqual({ id: 'cus_10', email: 'during-outage@example.com' });
  });

  it("answers another account 404 on a consumer's deliveries", async () => {
    for (const ref of [consumers.mark.id, consumers.mark.name]) {
      for (const base of ['/v1/postgres-consumers', '/v1/postgres_consumers']) {
        const answer = await other.get(`${base}/${ref}/deliveries`);
        expect([answer.status, answer.body.error.code]).toEqual([404, 'not_found']);
      }
    }
    expect((await otherGql(`query($id: ID!) { postgresConsumer(id: $id) { deliveries { nodes { batchId } } } }`, { id: consumers.mark.id })).data.postgresConsumer).toBeNull();
  });
});
