import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

type Gql = ReturnType<typeof graphqlClient>;

const CREATE = `mutation($input: SyncInput!) { createSync(input: $input) { id uuid name externalId } }`;
const UPDATE = `mutation($id: ID!, $input: SyncInput!) { updateSync(id: $id, input: $input) { uuid name externalId pollIntervalMs } }`;
const LIST = `query($externalId: String, $provider: String, $metadata: [SyncMetadataFilter!], $first: Int, $after: String) {
  syncs(externalId: $externalId, provider: $provider, metadata: $metadata, first: $first, after: $after) {
    edges { node { name externalId } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Syncs for many tenants over GraphQL: `externalId` on Sync and SyncInput, and the filters of `syncs`. */
describe('sync externalId and list filters over GraphQL', () => {
  let server: TestServer;
  let gql: Gql;
  let other: Gql;
  let stripe: string;
  let github: string;
  let otherStripe: string;

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    const token = (await root.post('/v1/accounts', { name: 'gql-tenants' })).body.api_token.token as string;
    const otherToken = (await root.post('/v1/accounts', { name: 'gql-tenants-other' })).body.api_token.token as string;
    gql = graphqlClient(server.url, token);
    other = graphqlClient(server.url, otherToken);
    stripe = (await restClient(server.url, token).post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_gql' })).body.id;
    github = (await restClient(server.url, token).post('/v1/credentials', { kind: 'github', access_token: 'ghp_gql' })).body.id;
    otherStripe = (await restClient(server.url, otherToken).post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_gql_other' })).body.id;
  });
  afterAll(async () => {
    await server.stop();
  });

  const create = (client: Gql, input: Record<string, unknown>) => client<{ createSync: { id: string; uuid: string; name: string; externalId: string | null } }>(CREATE, { input });
  const names = async (variables: Record<string, unknown>) => {
    const answer = await gql<{ syncs: { edges: { node: { name: string } }[] } }>(LIST, variables);
    expect(answer.errors).toBeUndefined();
    return answer.data.syncs.edges.map((e) => e.node.name);
  };

  it('creates with an externalId, refuses a duplicate in the account, allows it in another, clears it with null', async () => {
    const created = await create(gql, { provider: 'stripe', name: 'acme', collectionIds: ['stripe:customer'], credentialId: stripe, externalId: ' acme ', metadata: { tenant: 'acme', tier: 'gold' } });
    expect(created.errors).toBeUndefined();
    expect(created.data.createSync.externalId).toBe('acme');

    const duplicate = await create(gql, { provider: 'stripe', name: 'acme again', collectionIds: ['stripe:customer'], credentialId: stripe, externalId: 'acme' });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('external_id_taken');
    expect(duplicate.errors?.[0]?.extensions?.status).toBe(409);

    const elsewhere = await create(other, { provider: 'stripe', name: 'their acme', collectionIds: ['stripe:customer'], credentialId: otherStripe, externalId: 'acme' });
    expect(elsewhere.errors).toBeUndefined();
    expect(elsewhere.data.createSync.externalId).toBe('acme');

    const invalid = await create(gql, { provider: 'stripe', collectionIds: ['stripe:customer'], credentialId: stripe, externalId: 'line\nbreak' });
    expect(invalid.errors?.[0]?.extensions?.code).toBe('validation_failed');

    const id = created.data.createSync.id;
    const kept = await gql<any>(UPDATE, { id, input: { pollIntervalMs: 2000 } });
    expect(kept.data.updateSync).toMatchObject({ externalId: 'acme', pollIntervalMs: 2000 });
    const cleared = await gql<any>(UPDATE, { id, input: { externalId: null } });
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data.updateSync.externalId).toBeNull();
    expect(await names({ externalId: 'acme' })).toEqual([]);
    const again = await gql<any>(UPDATE, { id, input: { externalId: 'acme' } });
    expect(again.data.updateSync.externalId).toBe('acme');
  });

  it('filters syncs by externalId, provider and metadata, combined with AND, page by page', async () => {
    for (const input of [
      { provider: 'stripe', name: 'beta', collectionIds: ['stripe:customer'], credentialId: stripe, externalId: 'beta', metadata: { tenant: 'beta', tier: 'gold', seats: 3 } },
      { provider: 'github', name: 'acme issues', collectionIds: ['github:issue'], credentialId: github, metadata: { tenant: 'acme', tier: 'silver' } },
    ]) {
      expect((await create(gql, input)).errors).toBeUndefined();
    }
    expect(await names({})).toEqual(expect.arrayContaining(['acme', 'beta', 'acme issues']));
    expect(await names({ externalId: 'beta' })).toEqual(['beta']);
    expect(await names({ provider: 'github' })).toEqual(['acme issues']);
    expect((await names({ metadata: [{ key: 'tenant', value: 'acme' }] })).sort()).toEqual(['acme', 'acme issues']);
    expect(await names({ metadata: [{ key: 'tenant', value: 'acme' }], provider: 'stripe' })).toEqual(['acme']);
    expect(await names({ metadata: [{ key: 'tier', value: 'gold' }, { key: 'tenant', value: 'beta' }] })).toEqual(['beta']);
    expect(await names({ metadata: [{ key: 'seats', value: '3' }] })).toEqual(['beta']);
    expect(await names({ externalId: 'beta', provider: 'github' })).toEqual([]);

    const first = await gql<any>(LIST, { metadata: [{ key: 'tenant', value: 'acme' }], first: 1 });
    expect(first.data.syncs.edges).toHaveLength(1);
    expect(first.data.syncs.pageInfo.hasNextPage).toBe(true);
    const second = await gql<any>(LIST, { metadata: [{ key: 'tenant', value: 'acme' }], first: 1, after: first.data.syncs.pageInfo.endCursor });
    expect(second.data.syncs.edges).toHaveLength(1);
    expect(second.data.syncs.pageInfo.hasNextPage).toBe(false);
    expect([first.data.syncs.edges[0].node.name, second.data.syncs.edges[0].node.name].sort()).toEqual(['acme', 'acme issues']);
  });

  it('refuses a malformed filter with invalid_filter', async () => {
    const cases: Record<string, unknown>[] = [
      { externalId: '' },
      { externalId: 'x'.repeat(256) },
      { externalId: 'a\u0001b' },
      { provider: '' },
      { metadata: [{ key: '', value: 'x' }] },
      { metadata: [{ key: 'tenant', value: 'a' }, { key: 'tenant', value: 'b' }] },
      { metadata: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
    ];
    for (const variables of cases) {
      const answer = await gql<any>(LIST, variables);
      expect([JSON.stringify(variables).slice(0, 60), answer.errors?.[0]?.extensions?.code]).toEqual([JSON.stringify(variables).slice(0, 60), 'invalid_filter']);
    }
  });
});
