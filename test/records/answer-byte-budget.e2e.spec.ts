import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/** SYNCLINE_MAX_ANSWER_BYTES: pages and batches end early at the byte budget and continue by cursor (DELIVERY.md, "Byte budget"). */
describe('answers bounded by bytes', () => {
  const BUDGET = 20_000;
  let server: TestServer;
  let api: RestClient;
  let gql: ReturnType<typeof graphqlClient>;
  let token: string;
  let syncId: string;
  let streamId: string;
  const ids = Array.from({ length: 30 }, (_, i) => `cus_${String(i).padStart(3, '0')}`);
  // ~3 KB each, random enough that PostgreSQL cannot compress them: six fit a page.
  const blob = (seed: number) => Array.from({ length: 3_000 }, (_, i) => String.fromCharCode(97 + ((i * 7919 + seed * 104729) % 26))).join('');

  beforeAll(async () => {
    server = await startTestServer({ SYNCLINE_MAX_ANSWER_BYTES: String(BUDGET), LOG_LEVEL: 'warn' }, { disableSyncs: true });
    token = (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'bytes' })).body.api_token.token as string;
    api = restClient(server.url, token);
    gql = graphqlClient(server.url, token);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_bytes', api_base_url: 'http://127.0.0.1:9' });
    const sync = await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: credential.body.id });
    syncId = sync.body.id;
    streamId = sync.body.stream_id;
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, ids.map((id, i) => ({ id, data: { id, blob: blob(i) } })));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('REST: a page of 1,000 ends at the budget, next_cursor continues, the last page says null', async () => {
    const seen: string[] = [];
    let cursor: string | null = '0';
    let pages = 0;
    while (cursor !== null) {
      const response = await fetch(`${server.url}/v1/syncs/${syncId}/records?limit=1000&cursor=${cursor}`, { headers: { authorization: `Bearer ${token}` } });
      const text = await response.text();
      const page = JSON.parse(text) as { data: { upstream_id: string; data: { id: string } }[]; next_cursor: string | null };
      expect(response.status).toBe(200);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BUDGET);
      expect(page.data.length).toBeGreaterThan(0);
      seen.push(...page.data.map((r) => r.upstream_id));
      cursor = page.next_cursor;
      pages++;
    }
    expect(seen).toEqual(ids);
    expect(pages).toBeGreaterThanOrEqual(5);
    // A full page by count with nothing after it is the last page.
    const exact = await api.get(`/v1/syncs/${syncId}/records?limit=2&cursor=${await positionOf(ids[27]!)}`);
    expect(exact.body.data).toHaveLength(2);
    expect(exact.body.next_cursor).toBeNull();
  });

  it('a record larger than the budget alone still comes, alone, and is measured by its size, not its compressed size', async () => {
    // 60 KB of one repeated letter: PostgreSQL compresses it to ~1 KB, the answer is still 60 KB.
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, [
      { id: 'cus_big', data: { id: 'cus_big', blob: 'a'.repeat(60_000) } },
      { id: 'cus_after', data: { id: 'cus_after' } },
    ]);
    const after = await positionOf(ids[29]!);
    const page = await api.get(`/v1/syncs/${syncId}/records?limit=10&cursor=${after}`);
    expect(page.body.data.map((r: { upstream_id: string }) => r.upstream_id)).toEqual(['cus_big']);
    const rest = await api.get(`/v1/syncs/${syncId}/records?limit=10&cursor=${page.body.next_cursor}`);
    expect(rest.body).toMatchObject({ data: [{ upstream_id: 'cus_after' }], next_cursor: null });
  });

  it('GraphQL: aliases share one budget per request; a field after it is spent answers no edges and hasNextPage, then pages continue by cursor', async () => {
    const fields = Array.from({ length: 4 }, (_, i) => `a${i}: records(syncId: $s, first: 100) { edges { node { upstreamId data } } pageInfo { hasNextPage endCursor } }`);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `query($s: ID!) { ${fields.join(' ')} }`, variables: { s: syncId } }),
    });
    const text = await response.text();
    const answer = JSON.parse(text) as { data: Record<string, { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BUDGET + 2_000);
    const [first, ...others] = Object.values(answer.data);
    expect(first!.edges.length).toBeGreaterThan(0);
    expect(first!.edges.length).toBeLessThan(30);
    expect(first!.pageInfo.hasNextPage).toBe(true);
    for (const other of others) expect(other).toEqual({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { data: { records: { edges: { node: { upstreamId: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } } = await gql(
        'query($s: ID!, $after: String) { records(syncId: $s, first: 100, after: $after) { edges { node { upstreamId } } pageInfo { hasNextPage endCursor } } }',
        { s: syncId, after },
      );
      seen.push(...page.data.records.edges.map((e) => e.node.upstreamId));
      if (!page.data.records.pageInfo.hasNextPage) break;
      after = page.data.records.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids, 'cus_big', 'cus_after']);

    const bad = await gql('query($s: ID!) { records(syncId: $s, first: 5, after: "bm90IGEgY3Vyc29y") { edges { node { upstreamId } } } }', { s: syncId });
    expect(bad.errors?.[0]?.extensions?.code).toBe('validation_failed');
  });

  it('/next: a batch of 1,000 ends at the budget, nothing is leased that was not answered, redeliveries spend the budget first', async () => {
    const consumer = (await api.post('/v1/http-consumers', { name: 'bytes', stream_id: streamId, ack_wait_ms: 1_000 })).body;
    const next = async () => {
      const response = await fetch(`${server.url}/v1/http-consumers/${consumer.id}/next`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ batch_size: 1000 }),
      });
      const text = await response.text();
      return { bytes: Buffer.byteLength(text), messages: JSON.parse(text) as { ack_token: string; record: { upstream_id: string } }[] };
    };
    const firstBatch = await next();
    expect(firstBatch.bytes).toBeLessThanOrEqual(BUDGET);
    expect(firstBatch.messages.length).toBeGreaterThan(1);
    expect(firstBatch.messages.length).toBeLessThan(32);
    // Leased = answered: the rest is still pending, not in flight.
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body).toMatchObject({ num_ack_pending: firstBatch.messages.length, num_pending: 32 - firstBatch.messages.length });

    // Unacked, the first batch falls due; the next call redelivers it first, within the budget.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const redelivered = await next();
    expect(redelivered.bytes).toBeLessThanOrEqual(BUDGET);
    expect(redelivered.messages.map((m) => m.record.upstream_id)).toEqual(firstBatch.messages.map((m) => m.record.upstream_id));

    const delivered = new Set(redelivered.messages.map((m) => m.record.upstream_id));
    await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: redelivered.messages.map((m) => m.ack_token) });
    for (;;) {
      const batch = await next();
      if (batch.messages.length === 0) break;
      if (batch.messages.length > 1) expect(batch.bytes).toBeLessThanOrEqual(BUDGET);
      for (const m of batch.messages) {
        expect(delivered.has(m.record.upstream_id)).toBe(false);
        delivered.add(m.record.upstream_id);
      }
      await api.post(`/v1/http-consumers/${consumer.id}/ack`, { ack_tokens: batch.messages.map((m) => m.ack_token) });
    }
    expect(delivered.size).toBe(32);
    expect((await api.get(`/v1/http-consumers/${consumer.id}`)).body).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
  });

  async function positionOf(upstreamId: string): Promise<string> {
    const { rows } = await server.app.ctx.pool.query<{ updated_idx: string }>('SELECT updated_idx::text FROM records WHERE sync_id = $1 AND upstream_id = $2', [syncId, upstreamId]);
    return rows[0]!.updated_idx;
  }
});
