import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { StatementCounter } from '../support/statement-counter.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Issue 22, "No N+1": a page of syncs with their status, or of consumers with their counts, costs
 * the same number of SQL statements whatever its size, over REST and over GraphQL.
 */

const PAGE = 50;
const SMALL_PAGE = 5;
/** Nothing listens here: NATS consumers pointing at it stay disconnected without touching a real server. */
const CLOSED_PORT = { host: '127.0.0.1', port: 1 };
/** Nothing listens here either: webhook consumers retry their first batch, their status moving. */
const CLOSED_URL = 'http://127.0.0.1:1/hook';

const SYNCS_QUERY = `query($first: Int!) { syncs(first: $first) { edges { node { uuid name state
  status { syncId state lastError { code message collectionId at } requestsMade rateLimitWaitMs retries lastPollAt
    collections { collectionId records deletedRecords changesFetched requestsMade deleteDetectionRequests lastChangeAt lastPollAt lastError
      backfill { done pages records total percent startedAt completedAt } inFlight { method } waiting { reason } } } } } } }`;
const HTTP_CONSUMERS_QUERY = `query($first: Int!) { httpConsumers(first: $first) { edges { node { uuid name numPending numAckPending numDead } } } }`;
const NATS_CONSUMERS_QUERY = `query($first: Int!) { natsConsumers(first: $first) { edges { node { uuid name lastPublishedIdx lag messagesPublished } } } }`;
const SINK_STATUS = 'state lag lagSeconds lastDeliveredAt lastError { message at }';
const WEBHOOK_CONSUMERS_QUERY = `query($first: Int!) { webhookConsumers(first: $first) { edges { node { uuid name ${SINK_STATUS} } } } }`;
const POSTGRES_CONSUMERS_QUERY = `query($first: Int!) { postgresConsumers(first: $first) { edges { node { uuid name ${SINK_STATUS} } } } }`;

describe('statements per page', () => {
  let server: TestServer;
  let api: RestClient;
  let token: string;
  let counter: StatementCounter;
  let target: TestDatabase;
  const syncs: { id: string; stream_id: string }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ SYNCLINE_MAX_CONSUMERS_PER_ACCOUNT: String(5 * PAGE) }, { disableSyncs: true });
    // PostgreSQL consumers write here, one per sync; a writer connects only when it has records to write (3 of them).
    target = await createTestDatabase();
    const targetUrl = `postgres://postgres@127.0.0.1:5432/${new URL(target.url).pathname.slice(1)}`;
    const root = restClient(server.url, ROOT_TOKEN);
    token = (await root.post('/v1/accounts', { name: 'statement-count' })).body.api_token.token;
    api = restClient(server.url, token);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_statement_count_0123456789', name: 'statement count' });
    expect(credential.status).toBe(201);

    for (let i = 0; i < PAGE; i++) {
      const sync = await api.post('/v1/syncs', { provider: 'stripe', name: `sync ${i}`, collection_ids: ['stripe:customer', 'stripe:product'], credential_id: credential.body.id });
      expect(sync.status).toBe(201);
      syncs.push(sync.body);
    }
    // Some syncs with records (live and deleted), some paused: statuses that differ from one another.
    for (const [i, sync] of syncs.slice(0, 3).entries()) {
      const target = { syncId: sync.id, streamId: sync.stream_id };
      await seedRecords(server.app.ctx, { ...target, collectionId: 'stripe:customer' }, Array.from({ length: 4 + i }, (_, n) => ({ id: `cus_${n}` })));
      await seedRecords(server.app.ctx, { ...target, collectionId: 'stripe:customer' }, [{ id: 'cus_0', deleted: true }]);
      await seedRecords(server.app.ctx, { ...target, collectionId: 'stripe:product' }, [{ id: `prod_${i}` }]);
    }
    for (const sync of syncs.slice(3, 5)) expect((await api.post(`/v1/syncs/${sync.id}/pause`)).status).toBe(200);

    for (let i = 0; i < PAGE; i++) {
      const sync = syncs[i]!;
      const target = i % 3 === 0 ? { sync_id: sync.id, collection_ids: ['stripe:customer'] } : i % 3 === 1 ? { stream_id: sync.stream_id } : { sync_id: sync.id };
      const consumer = await api.post('/v1/http-consumers', { name: `consumer-${i}`, ...target, ...(i === 1 ? { max_deliver: 1, ack_wait_ms: 100 } : {}) });
      expect(consumer.status).toBe(201);
      // Leases on the consumers of the syncs with records: pending, ack-pending and dead counts that differ.
      if (i < 3) expect((await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 2 })).status).toBe(200);
      const nats = await api.post('/v1/nats-consumers', { name: `nats-${i}`, sync_id: sync.id, subject_prefix: `statements-${i}`, nats: CLOSED_PORT });
      expect(nats.status).toBe(201);
      const webhook = await api.post('/v1/webhook-consumers', { name: `webhook-${i}`, ...target, url: CLOSED_URL });
      expect(webhook.status).toBe(201);
      const postgres = await api.post('/v1/postgres-consumers', { name: `postgres-${i}`, sync_id: sync.id, connection: { url: targetUrl }, table: `statements_${i % 2}` });
      expect(postgres.status, JSON.stringify(postgres.body)).toBe(201);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Past max_deliver: the lease expired above is dead-lettered by the next call.
    const deadLettering = (await api.get('/v1/http-consumers?limit=100')).body.data.find((c: { name: string }) => c.name === 'consumer-1');
    expect((await api.post(`/v1/http-consumers/${deadLettering.id}/next`, { batch_size: 1 })).status).toBe(200);

    counter = new StatementCounter();
  }, 120_000);
  afterAll(async () => {
    counter?.dispose();
    await server?.stop();
    await target?.drop();
  });

  const restPage = (path: string, limit: number) =>
    counter.count(async (headers) => {
      const answer = await api.raw('GET', `${path}?limit=${limit}`, undefined, { headers });
      expect(answer.status).toBe(200);
      return answer.body.data as Record<string, unknown>[];
    });

  const graphqlPage = (query: string, first: number) =>
    counter.count(async (headers) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables: { first } }),
      });
      const body = (await response.json()) as { data: Record<string, { edges: { node: Record<string, unknown> }[] }>; errors?: unknown };
      expect(body.errors).toBeUndefined();
      return Object.values(body.data)[0]!.edges.map((e) => e.node);
    });

  it.each(['/v1/syncs', '/v1/http-consumers', '/v1/nats-consumers', '/v1/webhook-consumers', '/v1/postgres-consumers'])('REST %s: a page of 50 costs what a page of 5 does', async (path) => {
    await restPage(path, SMALL_PAGE); // warm: connections opened, statements prepared
    const small = await restPage(path, SMALL_PAGE);
    const large = await restPage(path, PAGE);
    expect(small.result).toHaveLength(SMALL_PAGE);
    expect(large.result).toHaveLength(PAGE);
    // The counter sees the request: the token's lookup and the page's query at least.
    expect(small.statements.length).toBeGreaterThanOrEqual(2);
    expect(large.statements).toHaveLength(small.statements.length);
  });

  it.each([
    ['syncs with their status', SYNCS_QUERY],
    ['HTTP consumers with their counts', HTTP_CONSUMERS_QUERY],
    ['NATS consumers with their status', NATS_CONSUMERS_QUERY],
    ['webhook consumers with their status', WEBHOOK_CONSUMERS_QUERY],
    ['PostgreSQL consumers with their status', POSTGRES_CONSUMERS_QUERY],
  ])('GraphQL %s: a page of 50 costs what a page of 5 does', async (_name, query) => {
    await graphqlPage(query, SMALL_PAGE);
    const small = await graphqlPage(query, SMALL_PAGE);
    const large = await graphqlPage(query, PAGE);
    expect(small.result).toHaveLength(SMALL_PAGE);
    expect(large.result).toHaveLength(PAGE);
    // The counter sees the request: the token's lookup and the page's query at least.
    expect(small.statements.length).toBeGreaterThanOrEqual(2);
    expect(large.statements).toHaveLength(small.statements.length);
  });

  it('/metrics reads 50 syncs and 200 consumers of every kind in nine statements (docs/OPERATIONS.md: two for the syncs, seven for the consumers)', async () => {
    const scrape = await counter.count(async (headers) => {
      const answer = await fetch(`${server.url}/metrics`, { headers });
      expect(answer.status).toBe(200);
      return answer.text();
    });
    expect(scrape.result).toMatch(/^syncline_status_figures_up 1$/m);
    for (const sync of syncs) expect(scrape.result).toContain(`syncline_sync_state{sync_id="${sync.id}"`);
    expect(scrape.result.match(/^syncline_consumer_pending_messages\{/gm)).toHaveLength(4 * PAGE);
    expect(scrape.statements).toHaveLength(9);
  });

  it('answers a listed item as it answers the item alone', async () => {
    const consumers = (await restPage('/v1/http-consumers', PAGE)).result;
    expect(consumers.some((c) => (c.num_pending as number) > 0 && (c.num_ack_pending as number) > 0)).toBe(true);
    expect(consumers.some((c) => (c.num_dead as number) > 0)).toBe(true);
    for (const consumer of consumers) expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body).toEqual(consumer);

    // A NATS consumer's connection state and last error move on their own while its publisher retries, its lag in seconds with the clock.
    const withoutConnection = ({ connection_state: _s, state: _t, last_error: _e, lag_seconds: _l, ...rest }: Record<string, unknown>) => rest;
    const natsConsumers = (await restPage('/v1/nats-consumers', PAGE)).result;
    expect(natsConsumers.some((c) => (c.lag as number) > 0)).toBe(true);
    for (const consumer of natsConsumers) expect(withoutConnection((await api.get(`/v1/nats-consumers/${consumer.id}`)).body)).toEqual(withoutConnection(consumer));

    // Webhook consumers retry against a closed port (their state and error move); PostgreSQL ones deliver, then hold still.
    const webhookConsumers = (await restPage('/v1/webhook-consumers', PAGE)).result;
    expect(webhookConsumers.some((c) => (c.lag as number) > 0)).toBe(true);
    for (const consumer of webhookConsumers) expect(withoutConnection((await api.get(`/v1/webhook-consumers/${consumer.id}`)).body)).toEqual(withoutConnection(consumer));
    const postgresConsumers = await waitFor(
      async () => {
        const page = (await restPage('/v1/postgres-consumers', PAGE)).result;
        return page.every((c) => c.lag === 0) ? page : null;
      },
      20_000,
      'the PostgreSQL consumers caught up',
    );
    expect(postgresConsumers.filter((c) => c.last_delivered_at !== null)).toHaveLength(3);
    for (const consumer of postgresConsumers) expect((await api.get(`/v1/postgres-consumers/${consumer.id}`)).body).toEqual({ ...consumer, lag_seconds: 0 });

    const listed = (await graphqlPage(SYNCS_QUERY, PAGE)).result as { uuid: string; status: { syncId: string; collections: { records: number; deletedRecords: number }[] } }[];
    expect(listed.some((s) => s.status.collections.some((c) => c.records > 0 && c.deletedRecords > 0))).toBe(true);
    for (const sync of listed) {
      const rest = (await api.get(`/v1/syncs/${sync.uuid}/status`)).body;
      expect(sync.status.syncId).toBe(rest.sync_id);
      expect(sync.status.collections.map((c) => [c.records, c.deletedRecords])).toEqual(rest.collections.map((c: { records: number; deleted_records: number }) => [c.records, c.deleted_records]));
    }
  });
});
