import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';

/** `records(upstreamId:)`: the console's search by upstream id, without scanning the sync's records. */
describe('records(upstreamId:) over GraphQL', () => {
  let server: TestServer;
  let emulator: StripeEmulator;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 30, product: 5 }, randomSeed: 3 });
    server = await startTestServer({ LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('answers only the record with that upstream id, within the collection filter', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer', 'product'] });
    await waitForBackfill(api, sync.id, 30_000);
    const gql = graphqlClient(server.url, ROOT_TOKEN);
    const query = `query($s: ID!, $c: String, $u: String) { records(syncId: $s, collectionId: $c, upstreamId: $u, first: 10) { edges { node { collectionId upstreamId data } } pageInfo { hasNextPage } } }`;
    const customer = emulator.objects('customer')[7]!;
    const ids = async (c: string | null, u: string | null) => {
      const answer = await gql<{ records: { edges: { node: { collectionId: string; upstreamId: string; data: unknown } }[] } }>(query, { s: sync.id, c, u });
      expect(answer.errors).toBeUndefined();
      return answer.data.records.edges.map((e) => e.node);
    };

    expect(await ids(null, String(customer.id))).toEqual([{ collectionId: 'stripe:customer', upstreamId: customer.id, data: customer }]);
    expect((await ids('stripe:customer', String(customer.id))).map((r) => r.upstreamId)).toEqual([customer.id]);
    expect(await ids('stripe:product', String(customer.id))).toEqual([]);
    expect(await ids(null, 'cus_does_not_exist')).toEqual([]);
    expect(await ids(null, null)).toHaveLength(10);
  });
});
