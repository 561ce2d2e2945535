import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

describe('syncs over GraphQL', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let gql: ReturnType<typeof graphqlClient>;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 250, product: 20 }, randomSeed: 11 });
    // This file's syncs poll faster than the default minimum (1000 ms) to keep it quick.
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    gql = graphqlClient(server.url, ROOT_TOKEN);
  });
  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('creates a sync, streams its status until the backfill is done, pages its records and pauses it', async () => {
    const credential = await restClient(server.url, ROOT_TOKEN).post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url });
    const created = await gql<{ createSync: { id: string; uuid: string; state: string } }>(
      `mutation($input: SyncInput!) { createSync(input: $input) { id uuid state } }`,
      {
        input: {
          provider: 'stripe',
          name: 'gql',
          collectionIds: ['stripe:customer', 'stripe:product'],
          credentialId: credential.body.id,
          rateLimit: { allowedRequests: 50, interval: 1, maxConcurrentRequests: 4 },
          pollIntervalMs: 500,
        },
      },
    );
    expect(created.errors).toBeUndefined();
    const syncId = created.data.createSync.id;

    const statuses: { state: string; collections: { collectionId: string; backfill: { done: boolean; pages: number } }[] }[] = [];
    const ws = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ROOT_TOKEN}` } });
    const unsubscribe = ws.subscribe(
      { query: 'subscription($id: ID!) { syncStatusChanged(syncId: $id) { state collections { collectionId backfill { done pages } } } }', variables: { id: syncId } },
      { next: (value: any) => statuses.push(value.data.syncStatusChanged), error: (e) => statuses.push({ state: `error: ${String(e)}`, collections: [] }), complete: () => undefined },
    );
    const done = await waitFor(async () => statuses.find((s) => s.state === 'active' && s.collections.every((c) => c.backfill.done)), 30_000, 'an active status');
    unsubscribe();
    await ws.dispose();
    expect(done.collections).toEqual([
      { collectionId: 'stripe:customer', backfill: { done: true, pages: 3 } },
      { collectionId: 'stripe:product', backfill: { done: true, pages: 1 } },
    ]);
    expect(statuses.length).toBeGreaterThan(1);

    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await gql(
        `query($id: ID!, $after: String) { records(syncId: $id, collectionId: "stripe:customer", first: 100, after: $after) { edges { node { upstreamId updatedIdx deleted } } pageInfo { hasNextPage endCursor } } }`,
        { id: syncId, after },
      );
      expect(page.errors).toBeUndefined();
      ids.push(...page.data.records.edges.map((e: any) => e.node.upstreamId));
      if (!page.data.records.pageInfo.hasNextPage) break;
      after = page.data.records.pageInfo.endCursor;
    }
    expect(ids.sort()).toEqual(emulator.objects('customer').map((c) => c.id as string).sort());

    const paused = await gql<{ pauseSync: { state: string } }>(`mutation($id: ID!) { pauseSync(id: $id) { state } }`, { id: syncId });
    expect(paused.data.pauseSync.state).toBe('paused');
    const status = await gql<any>(`query($id: ID!) { sync(id: $id) { state status { requestsMade lastError { code } } } }`, { id: syncId });
    expect(status.data.sync.state).toBe('paused');
    expect(status.data.sync.status.lastError).toBeNull();
  }, 60_000);
});
