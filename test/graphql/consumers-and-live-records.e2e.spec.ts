import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

describe('GraphQL consumers and the recordChanged subscription', () => {
  let server: TestServer;
  let token: string;
  let gql: ReturnType<typeof graphqlClient>;
  let streamId: string;
  const syncId = randomUUID();

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    token = (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'live' })).body.api_token.token;
    gql = graphqlClient(server.url, token);
    streamId = (await restClient(server.url, token).post('/v1/streams', { name: 'dev' })).body.id;
  });
  afterAll(async () => {
    await server.stop();
  });

  const wsClient = (): Client =>
    createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });

  function subscribe(client: Client, afterIdx: string | null, onRecord: (r: any) => void): () => void {
    return client.subscribe(
      {
        query: 'subscription($s: ID!, $a: String) { recordChanged(streamId: $s, afterIdx: $a) { upstreamId updatedIdx deleted data } }',
        variables: { s: streamId, a: afterIdx },
      },
      { next: (value: any) => onRecord(value.data.recordChanged), error: (e) => console.error(e), complete: () => undefined },
    );
  }

  it('replays from afterIdx, then streams live changes in order, and resumes gap-free after a reconnect', async () => {
    const target = { syncId, streamId, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, Array.from({ length: 50 }, (_, i) => ({ id: `cus_${i}` })));

    const received: any[] = [];
    const first = wsClient();
    const stop = subscribe(first, '0', (r) => received.push(r));
    await waitFor(async () => received.length === 50, 10_000, 'replay');
    await seedRecords(server.app.ctx, target, Array.from({ length: 30 }, (_, i) => ({ id: `cus_new_${i}` })));
    await waitFor(async () => received.length === 80, 10_000, 'live changes');
    stop();
    await first.dispose();

    // changes made while disconnected are replayed on resume from the last idx seen
    const lastSeen = received[received.length - 1].updatedIdx;
    await seedRecords(server.app.ctx, target, [{ id: 'cus_0', data: { id: 'cus_0', changed: true } }, { id: 'cus_gone', deleted: false }]);
    await seedRecords(server.app.ctx, target, [{ id: 'cus_gone', deleted: true }]);
    const second = wsClient();
    const resumed: any[] = [];
    const stopSecond = subscribe(second, lastSeen, (r) => resumed.push(r));
    await waitFor(async () => resumed.length === 2, 10_000, 'resumed changes');
    stopSecond();
    await second.dispose();

    const all = [...received, ...resumed];
    const positions = all.map((r) => BigInt(r.updatedIdx));
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
    expect(resumed.map((r) => [r.upstreamId, r.deleted])).toEqual([
      ['cus_0', false],
      ['cus_gone', true],
    ]);
    expect(resumed[0].data).toEqual({ id: 'cus_0', changed: true });
  });

  it('delivers changes committed by concurrent transactions exactly once, in updated_idx order', async () => {
    const received: any[] = [];
    const client = wsClient();
    const stop = subscribe(client, null, (r) => received.push(r));
    await new Promise((r) => setTimeout(r, 300)); // subscribed before the writes start
    const writers = Array.from({ length: 8 }, (_, w) =>
      seedRecords(server.app.ctx, { syncId, streamId, collectionId: `stripe:collection_${w}` }, Array.from({ length: 60 }, (_, i) => ({ id: `obj_${w}_${i}` }))),
    );
    await Promise.all(writers);
    await waitFor(async () => received.filter((r) => r.upstreamId.startsWith('obj_')).length >= 480, 15_000, 'every concurrent change');
    stop();
    await client.dispose();
    const concurrent = received.filter((r) => r.upstreamId.startsWith('obj_'));
    expect(concurrent).toHaveLength(480);
    expect(new Set(concurrent.map((r) => r.upstreamId)).size).toBe(480);
    const positions = received.map((r) => BigInt(r.updatedIdx));
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
  });

  it('creates a consumer and consumes, acks and nacks through GraphQL', async () => {
    const created = await gql('mutation($s: ID!) { createHttpConsumer(input: { name: "gql", streamId: $s, collectionIds: ["stripe:product"] }) { uuid numPending } }', {
      s: streamId,
    });
    expect(created.errors).toBeUndefined();
    const consumerId = created.data.createHttpConsumer.uuid;
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:product' }, [{ id: 'prod_1' }, { id: 'prod_2' }]);
    const next = await gql('mutation($c: ID!) { consumeNext(consumerId: $c, batchSize: 10) { ackToken record { upstreamId collectionId } } }', { c: consumerId });
    expect(next.data.consumeNext.map((m: any) => m.record.upstreamId)).toEqual(['prod_1', 'prod_2']);
    const acked = await gql('mutation($c: ID!, $t: [String!]!) { ackMessages(consumerId: $c, ackTokens: $t) { count invalidAckTokens } }', {
      c: consumerId,
      t: [next.data.consumeNext[0].ackToken],
    });
    expect(acked.data.ackMessages).toEqual({ count: 1, invalidAckTokens: [] });
    const nacked = await gql('mutation($c: ID!, $t: [String!]!) { nackMessages(consumerId: $c, ackTokens: $t) { count } }', {
      c: consumerId,
      t: [next.data.consumeNext[1].ackToken],
    });
    expect(nacked.data.nackMessages.count).toBe(1);
    const again = await gql('mutation($c: ID!) { consumeNext(consumerId: $c, batchSize: 10) { record { upstreamId } } }', { c: consumerId });
    expect(again.data.consumeNext.map((m: any) => m.record.upstreamId)).toEqual(['prod_2']);
    const state = await gql('query($c: ID!) { httpConsumer(id: $c) { numPending numAckPending numDead } }', { c: consumerId });
    expect(state.data.httpConsumer).toEqual({ numPending: 0, numAckPending: 1, numDead: 0 });
  });
});
