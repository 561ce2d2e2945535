import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/** A NATS server address nothing listens on: the consumers' publishers only retry. */
const CLOSED_PORT = { host: '127.0.0.1', port: 1 };

interface Tenant {
  api: RestClient;
  gql: ReturnType<typeof graphqlClient>;
  streamId: string;
  credentialId: string;
  oauthAppId: string;
  oauthCredentialId: string;
  syncId: string;
  httpConsumerId: string;
  natsConsumerId: string;
}

const uuids = (connection: { edges: { node: { uuid: string } }[] }) => connection.edges.map((e) => e.node.uuid).sort();

describe('GraphQL relations between types', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let a: Tenant;
  let b: Tenant;

  async function tenant(name: string): Promise<Tenant> {
    const token = (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name })).body.api_token.token as string;
    const api = restClient(server.url, token);
    const streamId = (await api.post('/v1/streams', { name: `${name}-stream` })).body.id;
    const credentialId = (await api.post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url })).body.id;
    const oauthAppId = (await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: `${name}-client`, client_secret: 'client-secret-123' })).body.id;
    const oauthCredentialId = (await api.post('/v1/credentials', { kind: 'hubspot_oauth2', refresh_token: 'refresh-secret', oauth_app_id: oauthAppId })).body.id;
    const sync = await api.post('/v1/syncs', { provider: 'stripe', stream_id: streamId, collection_ids: ['stripe:customer'], credential_id: credentialId, poll_interval_ms: 60_000 });
    expect(sync.status).toBe(201);
    const httpConsumer = await api.post('/v1/http-consumers', { name: `${name}-http`, sync_id: sync.body.id });
    const natsConsumer = await api.post('/v1/nats-consumers', { name: `${name}-nats`, sync_id: sync.body.id, nats: CLOSED_PORT });
    expect([httpConsumer.status, natsConsumer.status]).toEqual([201, 201]);
    return {
      api,
      gql: graphqlClient(server.url, token),
      streamId,
      credentialId,
      oauthAppId,
      oauthCredentialId,
      syncId: sync.body.id,
      httpConsumerId: httpConsumer.body.id,
      natsConsumerId: natsConsumer.body.id,
    };
  }

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 3 }, randomSeed: 5 });
    server = await startTestServer();
    a = await tenant('alpha');
    b = await tenant('beta');
  });
  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('walks from a sync to its stream, credential and consumers, and back', async () => {
    const answer = await a.gql(
      `query($id: ID!) { sync(id: $id) {
         stream { uuid name syncs { edges { node { uuid } } } }
         credential { uuid kind syncs { edges { node { uuid } } } }
         httpConsumers { edges { node { uuid stream { uuid } sync { uuid credential { uuid } } } } }
         natsConsumers { edges { node { uuid stream { uuid } sync { uuid } } } }
       } }`,
      { id: a.syncId },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data.sync).toEqual({
      stream: { uuid: a.streamId, name: 'alpha-stream', syncs: { edges: [{ node: { uuid: a.syncId } }] } },
      credential: { uuid: a.credentialId, kind: 'stripe', syncs: { edges: [{ node: { uuid: a.syncId } }] } },
      httpConsumers: { edges: [{ node: { uuid: a.httpConsumerId, stream: { uuid: a.streamId }, sync: { uuid: a.syncId, credential: { uuid: a.credentialId } } } }] },
      natsConsumers: { edges: [{ node: { uuid: a.natsConsumerId, stream: { uuid: a.streamId }, sync: { uuid: a.syncId } } }] },
    });
  });

  it('walks from a stream to its syncs and consumers, and from an OAuth app to its credentials', async () => {
    const answer = await a.gql(
      `query($id: ID!) {
         stream(id: $id) { syncs { edges { node { uuid } } } httpConsumers { edges { node { uuid } } } natsConsumers { edges { node { uuid } } } }
         oauthApps { edges { node { uuid credentials { edges { node { uuid oauthApp { uuid } } } } } } }
         credentials { edges { node { uuid oauthApp { uuid } } } }
       }`,
      { id: a.streamId },
    );
    expect(answer.errors).toBeUndefined();
    expect(uuids(answer.data.stream.syncs)).toEqual([a.syncId]);
    expect(uuids(answer.data.stream.httpConsumers)).toEqual([a.httpConsumerId]);
    expect(uuids(answer.data.stream.natsConsumers)).toEqual([a.natsConsumerId]);
    expect(answer.data.oauthApps.edges).toEqual([
      { node: { uuid: a.oauthAppId, credentials: { edges: [{ node: { uuid: a.oauthCredentialId, oauthApp: { uuid: a.oauthAppId } } }] } } },
    ]);
    const oauthAppOf = Object.fromEntries(answer.data.credentials.edges.map((e: any) => [e.node.uuid, e.node.oauthApp?.uuid ?? null]));
    expect(oauthAppOf).toEqual({ [a.credentialId]: null, [a.oauthCredentialId]: a.oauthAppId });
  });

  it("pages a relation's connection like the root lists", async () => {
    const second = await a.api.post('/v1/http-consumers', { name: 'alpha-http-2', stream_id: a.streamId });
    const first = await a.gql('query($id: ID!) { stream(id: $id) { httpConsumers(first: 1) { edges { node { uuid } } pageInfo { hasNextPage endCursor } } } }', { id: a.streamId });
    const page = first.data.stream.httpConsumers;
    expect(page.edges).toHaveLength(1);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = await a.gql('query($id: ID!, $after: String) { stream(id: $id) { httpConsumers(first: 5, after: $after) { edges { node { uuid } } pageInfo { hasNextPage } } } }', {
      id: a.streamId,
      after: page.pageInfo.endCursor,
    });
    expect([...uuids(page), ...uuids(rest.data.stream.httpConsumers)].sort()).toEqual([a.httpConsumerId, second.body.id].sort());
    expect(rest.data.stream.httpConsumers.pageInfo.hasNextPage).toBe(false);
    await a.api.delete(`/v1/http-consumers/${second.body.id}`);
  });

  it("never reaches another account's objects through a relation", async () => {
    // B sees only its own objects at every step.
    const own = await b.gql(
      `query($id: ID!) { sync(id: $id) { stream { uuid syncs { edges { node { uuid } } } } credential { uuid } httpConsumers { edges { node { uuid } } } } }`,
      { id: b.syncId },
    );
    expect(own.data.sync).toEqual({
      stream: { uuid: b.streamId, syncs: { edges: [{ node: { uuid: b.syncId } }] } },
      credential: { uuid: b.credentialId },
      httpConsumers: { edges: [{ node: { uuid: b.httpConsumerId } }] },
    });
    expect((await b.gql('query($id: ID!) { sync(id: $id) { uuid } }', { id: a.syncId })).data.sync).toBeNull();

    // The root token lists every account's syncs (the operator's view), but walks into none of another account's objects.
    const root = graphqlClient(server.url, ROOT_TOKEN);
    const listed = await root(`{ syncs(accountId: "all") { edges { node { uuid stream { uuid } credential { uuid } httpConsumers { edges { node { uuid } } } natsConsumers { edges { node { uuid } } } } } } }`);
    expect(listed.errors).toBeUndefined();
    const seen = listed.data.syncs.edges.map((e: any) => e.node).filter((n: any) => n.uuid === a.syncId || n.uuid === b.syncId);
    expect(seen).toHaveLength(2);
    for (const node of seen) {
      expect(node).toMatchObject({ stream: null, credential: null, httpConsumers: { edges: [] }, natsConsumers: { edges: [] } });
    }

    // Rows that name another account's row (never written by the API, but nothing in the database forbids them) lead nowhere.
    const db = server.app.ctx.pool;
    await db.query('UPDATE http_consumers SET stream_id = $1, sync_id = $2 WHERE id = $3', [a.streamId, a.syncId, b.httpConsumerId]);
    await db.query('UPDATE syncs SET credential_id = $1 WHERE id = $2', [a.credentialId, b.syncId]);
    try {
      const crossed = await b.gql('query($c: ID!, $s: ID!) { httpConsumer(id: $c) { stream { uuid } sync { uuid } } sync(id: $s) { credential { uuid } } }', {
        c: b.httpConsumerId,
        s: b.syncId,
      });
      expect(crossed.errors).toBeUndefined();
      expect(crossed.data).toEqual({ httpConsumer: { stream: null, sync: null }, sync: { credential: null } });
      const fromA = await a.gql('query($s: ID!, $c: ID!) { stream(id: $s) { httpConsumers { edges { node { uuid } } } } credential(id: $c) { syncs { edges { node { uuid } } } } }', {
        s: a.streamId,
        c: a.credentialId,
      });
      expect(uuids(fromA.data.stream.httpConsumers)).toEqual([a.httpConsumerId]);
      expect(uuids(fromA.data.credential.syncs)).toEqual([a.syncId]);
    } finally {
      await db.query('UPDATE http_consumers SET stream_id = $1, sync_id = $2 WHERE id = $3', [b.streamId, b.syncId, b.httpConsumerId]);
      await db.query('UPDATE syncs SET credential_id = $1 WHERE id = $2', [b.credentialId, b.syncId]);
    }
  });

  it('answers null for a related row deleted while another still names it', async () => {
    const credentialId = (await a.api.post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url })).body.id;
    const sync = await a.api.post('/v1/syncs', { provider: 'stripe', stream_id: a.streamId, collection_ids: ['stripe:product'], credential_id: credentialId, poll_interval_ms: 60_000 });
    expect((await a.api.delete(`/v1/credentials/${credentialId}`)).status).toBe(204);
    const answer = await a.gql('query($id: ID!) { sync(id: $id) { uuid credentialId credential { uuid } stream { uuid } } }', { id: sync.body.id });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.sync).toEqual({ uuid: sync.body.id, credentialId, credential: null, stream: { uuid: a.streamId } });
    await a.api.delete(`/v1/syncs/${sync.body.id}`);
  });

  it("walks from a mutation run to its sync", async () => {
    const run = await a.api.post('/v1/mutations/run', { kind: 'create', sync_id: a.syncId, collection_id: 'stripe:customer', data: [{ email: 'walk@example.com' }] });
    expect(run.status).toBe(200);
    const answer = await a.gql('query($id: ID!) { sync(id: $id) { mutations(first: 5) { edges { node { uuid sync { uuid stream { uuid } } } } } } }', { id: a.syncId });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.sync.mutations.edges).toEqual([{ node: { uuid: run.body.id, sync: { uuid: a.syncId, stream: { uuid: a.streamId } } } }]);
  });
});
