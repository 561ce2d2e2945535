import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../src/emulators/github/index.ts';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitForBackfill } from '../support/stripe-sync.ts';

interface Node {
  syncId: string;
  collectionId: string;
  upstreamId: string;
  updatedIdx: string;
  upstreamUpdatedAt: string | null;
}
interface Page {
  stream: { records: { edges: { cursor: string; node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null;
}

/** `Stream.records`: the console's "All syncs" view, and one sync of the stream through `syncId`. */
describe('Stream.records over GraphQL', () => {
  let server: TestServer;
  let stripe: StripeEmulator;
  let github: GitHubEmulator;
  let streamId: string;
  let stripeSyncId: string;
  let githubSyncId: string;
  const query = `query($id: ID!, $s: ID, $c: String, $u: String, $first: Int, $after: String) {
    stream(id: $id) { records(syncId: $s, collectionId: $c, upstreamId: $u, first: $first, after: $after) {
      edges { cursor node { syncId collectionId upstreamId updatedIdx upstreamUpdatedAt } } pageInfo { hasNextPage endCursor } } } }`;
  const page = async (variables: Record<string, unknown>) => {
    const answer = await graphqlClient(server.url, ROOT_TOKEN)<Page>(query, { id: streamId, first: 100, ...variables });
    return answer;
  };

  beforeAll(async () => {
    [stripe, github, server] = await Promise.all([
      startStripeEmulator({ seed: { customer: 12 }, randomSeed: 3 }),
      startGitHubEmulator({ objects: 6, randomSeed: 3 }),
      startTestServer({ LOG_LEVEL: 'warn' }),
    ]);
    const api = restClient(server.url, ROOT_TOKEN);
    streamId = (await api.post('/v1/streams', { name: 'two-providers' })).body.id;
    const stripeCredential = await api.post('/v1/credentials', { kind: 'stripe', secret: stripe.apiKey, api_base_url: stripe.url });
    const githubCredential = await api.post('/v1/credentials', { kind: 'github', access_token: github.token, api_base_url: github.url });
    const stripeSync = await api.post('/v1/syncs', { provider: 'stripe', name: 'billing', stream_id: streamId, collection_ids: ['stripe:customer'], credential_id: stripeCredential.body.id });
    const githubSync = await api.post('/v1/syncs', { provider: 'github', name: 'code', stream_id: streamId, collection_ids: ['github:issue'], credential_id: githubCredential.body.id });
    expect([stripeSync.status, githubSync.status]).toEqual([201, 201]);
    stripeSyncId = stripeSync.body.id;
    githubSyncId = githubSync.body.id;
    await Promise.all([waitForBackfill(api, stripeSyncId, 30_000), waitForBackfill(api, githubSyncId, 30_000)]);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await stripe?.close();
    await github?.close();
  });

  it('answers every sync of the stream in position order, or one sync with syncId', async () => {
    const all = (await page({})).data.stream!.records.edges.map((e) => e.node);
    expect(all).toHaveLength(18);
    expect(new Set(all.map((r) => r.syncId))).toEqual(new Set([stripeSyncId, githubSyncId]));
    const positions = all.map((r) => BigInt(r.updatedIdx));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

    const issues = (await page({ s: githubSyncId })).data.stream!.records.edges.map((e) => e.node);
    expect(issues).toHaveLength(6);
    expect(issues.every((r) => r.syncId === githubSyncId && r.upstreamUpdatedAt !== null)).toBe(true);
    const customers = (await page({ s: stripeSyncId, c: 'stripe:customer' })).data.stream!.records.edges.map((e) => e.node);
    expect(customers.map((r) => r.syncId)).toEqual(Array(12).fill(stripeSyncId));

    const one = all.find((r) => r.syncId === stripeSyncId)!;
    expect((await page({ u: one.upstreamId })).data.stream!.records.edges.map((e) => e.node)).toEqual([one]);
  });

  it('pages forward with first and after', async () => {
    const first = (await page({ first: 10 })).data.stream!.records;
    expect(first.edges).toHaveLength(10);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await page({ first: 10, after: first.pageInfo.endCursor })).data.stream!.records;
    expect(rest.edges).toHaveLength(8);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a sync of another stream as not found', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const other = (await api.post('/v1/streams', { name: 'elsewhere' })).body.id;
    const answer = await graphqlClient(server.url, ROOT_TOKEN)<Page>(query, { id: other, s: stripeSyncId, first: 5 });
    expect(answer.errors?.[0]?.extensions?.code).toBe('not_found');
  });
});
