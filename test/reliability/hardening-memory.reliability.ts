/**
 * Issue 21, finding 3: memory is one budget for everyone. Big records (~100 KB each) read at the
 * largest page sizes the API allows — six concurrent REST pages of 1,000, one GraphQL query of 20
 * aliases × 100, concurrent `/next` batches of 1,000 — ran a server out of heap. Every answer is
 * now bounded by bytes as well as by count (SYNCLINE_MAX_ANSWER_BYTES, 4 MiB by default), the
 * rest follows by cursor. The server here runs with the heap cap production had before (192 MB),
 * lower than today's: it must stay up, and every record must be read exactly once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendRecords } from '../../src/sync/ingest/append-records.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { ROOT_TOKEN, startTestServer, TEST_SECRET_KEY, type TestServer } from '../support/server.ts';

const RECORDS = 1_000;
const RECORD_BYTES = 100_000;
const BUDGET = 4 * 1024 * 1024;
/** The heap cap `npm start` had before this fix: lower than today's, so surviving it proves the bound. */
const LOW_HEAP = ['--max-old-space-size=192', '--import', 'tsx', 'src/main.ts'];

describe('hardening: big answers are bounded by bytes (issue 21, finding 3)', () => {
  let seeder: TestServer;
  let server: ChildServer;
  let api: RestClient;
  let token: string;
  let syncId: string;
  let streamId: string;
  const port = randomPort();
  const ids: string[] = Array.from({ length: RECORDS }, (_, i) => `cus_${String(i).padStart(5, '0')}`);

  const start = async () => {
    server = await spawnServer(
      {
        DATABASE_URL: seeder.database.url,
        SYNCLINE_API_TOKEN: ROOT_TOKEN,
        SYNCLINE_SECRET_KEY: TEST_SECRET_KEY,
        LOG_LEVEL: 'warn',
        // The default cost limit refuses 20 aliases × records(first: 100) before execution
        // (query_too_costly, hardening-graphql); raised here so that the byte budget is what holds.
        SYNCLINE_GRAPHQL_MAX_COST: '10000000',
      },
      port,
      LOW_HEAP,
    );
  };
  const alive = () => server.child.exitCode === null && server.child.signalCode === null;

  beforeAll(async () => {
    // Seeded through the record writer a sync uses, in an in-process server over the database the
    // child then serves.
    seeder = await startTestServer({ LOG_LEVEL: 'silent' }, { disableSyncs: true });
    const root = restClient(seeder.url, ROOT_TOKEN);
    token = (await root.post('/v1/accounts', { name: 'big-records' })).body.api_token.token;
    const local = restClient(seeder.url, token);
    const credential = await local.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_memory', api_base_url: 'http://127.0.0.1:9' });
    const sync = await local.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: credential.body.id });
    expect(sync.status).toBe(201);
    syncId = sync.body.id;
    streamId = sync.body.stream_id;
    expect((await local.post(`/v1/syncs/${syncId}/pause`)).status).toBeLessThan(300);
    for (let i = 0; i < RECORDS; i += 100) {
      await appendRecords(seeder.app.ctx, {
        syncId,
        streamId,
        collectionId: 'stripe:customer',
        source: 'changes',
        objects: ids.slice(i, i + 100).map((id) => ({
          upstreamId: id,
          // Random bytes: PostgreSQL's compression cannot shrink them, the worst case for memory.
          data: { id, object: 'customer', metadata: { blob: randomBytes((RECORD_BYTES * 3) / 4).toString('base64') } },
          upstreamCreatedAt: new Date('2024-11-10T18:38:00.070Z'),
          upstreamUpdatedAt: new Date('2024-11-10T18:38:00.070Z'),
          deleted: false,
        })),
      });
    }
    await seeder.app.close();
    await start();
    api = restClient(server.url, token);
  });

  const healthy = () => fetch(`${server.url}/healthz`).then((r) => r.status === 200, () => false);

  beforeEach(async () => {
    // Each scenario on a live server, so that one crash does not hide the others' outcome.
    if (!alive() || !(await healthy())) {
      await stopServer(server.child, 'SIGKILL');
      await start();
      api = restClient(server.url, token);
    }
  });

  afterAll(async () => {
    if (server) await stopServer(server.child, 'SIGKILL');
    await seeder?.database.drop();
  });

  /** A failure names what the server printed last (a heap exhaustion says so). */
  const reportingCrash = (scenario: () => Promise<void>) => async () => {
    try {
      await scenario();
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const output = server.output();
      const tail = `${/^.*FATAL ERROR.*$/m.exec(output)?.[0] ?? ''}\n${output.slice(-600)}`;
      throw new Error(`${(error as Error).message}\n--- server (exit ${server.child.exitCode ?? server.child.signalCode ?? 'none'}):\n${tail}`, { cause: error });
    }
  };

  const expectUp = async () => {
    expect(alive(), `server exited: ${server.output().slice(-2_000)}`).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  };

  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
  };

  it('six concurrent readers of REST pages of 1,000: each page within the budget, every record once', reportingCrash(async () => {
    const reader = async () => {
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | null = '0';
      while (cursor !== null) {
        const page = await get(`/v1/syncs/${syncId}/records?limit=1000&cursor=${cursor}`);
        expect(page.status).toBe(200);
        const records = page.body.data as { upstream_id: string }[];
        if (records.length > 1) expect(page.bytes).toBeLessThanOrEqual(BUDGET);
        seen.push(...records.map((r) => r.upstream_id));
        pageSizes.push(records.length);
        cursor = page.body.next_cursor;
        expect(records.length > 0 || cursor === null).toBe(true);
      }
      return { seen, pageSizes };
    };
    const results = await Promise.all(Array.from({ length: 6 }, reader));
    for (const { seen, pageSizes } of results) {
      expect(seen).toEqual(ids);
      expect(pageSizes.length).toBeGreaterThan(1);
    }
    await expectUp();
  }));

  it('forty concurrent REST pages of 1,000: all answered within the budget, the process up (the connection pools bound how many are read at once)', reportingCrash(async () => {
    const pages = await Promise.all(Array.from({ length: 40 }, (_, i) => get(`/v1/syncs/${syncId}/records?limit=1000&cursor=${i * 20}`)));
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.bytes).toBeLessThanOrEqual(BUDGET);
      expect(page.body.data.length).toBeGreaterThan(1);
      expect(page.body.next_cursor).not.toBeNull();
    }
    await expectUp();
  }));

  it('one GraphQL query of 20 aliases × records(first: 100): within the budget for the whole request, then every record by cursor', reportingCrash(async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: records(syncId: $syncId, first: 100) { edges { node { upstreamId data } } pageInfo { hasNextPage endCursor } }`);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `query($syncId: ID!) { ${aliases.join('\n')} }`, variables: { syncId } }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BUDGET + 64 * 1024);
    const answer = JSON.parse(text) as { data: Record<string, { edges: unknown[]; pageInfo: { hasNextPage: boolean } }>; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    const counts = Object.values(answer.data).map((c) => c.edges.length);
    expect(counts[0]).toBeGreaterThan(0);
    for (const connection of Object.values(answer.data)) expect(connection.pageInfo.hasNextPage).toBe(true);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'query($syncId: ID!, $after: String) { records(syncId: $syncId, first: 100, after: $after) { edges { node { upstreamId data } } pageInfo { hasNextPage endCursor } } }',
          variables: { syncId, after },
        }),
      });
      const pageText = await page.text();
      const body = JSON.parse(pageText) as { data: { records: { edges: { node: { upstreamId: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } };
      const connection = body.data.records;
      if (connection.edges.length > 1) expect(Buffer.byteLength(pageText)).toBeLessThanOrEqual(BUDGET + 64 * 1024);
      seen.push(...connection.edges.map((e) => e.node.upstreamId));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
    await expectUp();
  }));

  it('concurrent /next (and /receive) with batch_size 1,000: each batch within the budget, every record delivered once, none left leased', reportingCrash(async () => {
    const consumer = await api.post('/v1/http-consumers', { name: `big-${Date.now()}`, stream_id: streamId });
    expect(consumer.status).toBe(201);
    const delivered: string[] = [];
    let batches = 0;
    const worker = async (path: string, field: 'ack_token' | 'ack_id') => {
      for (;;) {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ batch_size: 1000 }),
        });
        const text = await response.text();
        expect(response.status).toBe(200);
        const parsed = JSON.parse(text) as unknown;
        const messages = (Array.isArray(parsed) ? parsed : (parsed as { data: unknown[] }).data) as ({ record: { upstream_id: string } } & Record<string, string>)[];
        if (messages.length > 1) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BUDGET);
        if (messages.length === 0) return;
        batches++;
        delivered.push(...messages.map((m) => m.record.upstream_id));
        const ack = await api.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: messages.map((m) => m[field]) });
        expect(ack.body).toMatchObject({ acked: messages.length, invalid_ack_tokens: [] });
      }
    };
    await Promise.all([
      worker(`/v1/http-consumers/${consumer.body.id}/next`, 'ack_token'),
      worker(`/v1/http-consumers/${consumer.body.id}/next`, 'ack_token'),
      worker(`/v1/http-consumers/${consumer.body.id}/next`, 'ack_token'),
      worker(`/api/http_pull_consumers/${consumer.body.id}/receive`, 'ack_id'),
    ]);
    expect([...delivered].sort()).toEqual(ids);
    expect(batches).toBeGreaterThan(1);
    const after = await api.get(`/v1/http-consumers/${consumer.body.id}`);
    expect(after.body).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
    await expectUp();
  }));
});
