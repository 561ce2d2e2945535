import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient } from '../support/api.ts';
import { createSeedableSync } from '../support/nats.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const FIELDS = `id uuid name url streamId syncId collectionIds provider headers secretHint previousSecretValidUntil batchSize timeoutMs maxDeliver
  retryWindowMs maxInFlight deliverPolicy optStartTime optStartIdx resetCount stream { name } sync { name }`;

describe('webhook consumers API (GraphQL)', () => {
  let server: TestServer;
  let gql: ReturnType<typeof graphqlClient>;
  let otherGql: ReturnType<typeof graphqlClient>;
  let sync: { syncId: string; streamId: string };

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    const token = (await root.post('/v1/accounts', { name: 'webhook-gql' })).body.api_token.token;
    gql = graphqlClient(server.url, token);
    otherGql = graphqlClient(server.url, (await root.post('/v1/accounts', { name: 'webhook-gql-other' })).body.api_token.token);
    sync = await createSeedableSync(restClient(server.url, token));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates (the secret in that answer only), lists, changes, rotates, resets and deletes', async () => {
    const created = await gql(`mutation($input: WebhookConsumerInput!) { createWebhookConsumer(input: $input) { secret webhookConsumer { ${FIELDS} } } }`, {
      input: { name: 'gql-hook', url: 'https://127.0.0.1:8443/in', syncId: sync.syncId, headers: { Authorization: 'Bearer gql-receiver-token' }, batchSize: 10, retryWindowMs: 30 * 86_400_000 },
    });
    expect(created.errors).toBeUndefined();
    const { secret, webhookConsumer } = created.data.createWebhookConsumer;
    expect(secret).toMatch(/^whsec_/);
    expect(() => new Webhook(secret)).not.toThrow();
    expect(webhookConsumer).toMatchObject({
      name: 'gql-hook',
      url: 'https://127.0.0.1:8443/in',
      streamId: sync.streamId,
      syncId: sync.syncId,
      collectionIds: null,
      provider: null,
      headers: { authorization: '…oken' },
      secretHint: `…${secret.slice(-4)}`,
      previousSecretValidUntil: null,
      batchSize: 10,
      timeoutMs: 30_000,
      maxDeliver: -1,
      retryWindowMs: 30 * 86_400_000,
      maxInFlight: 1,
      deliverPolicy: 'all',
      optStartTime: null,
      optStartIdx: null,
      resetCount: 0,
      stream: { name: 'default' },
      sync: { name: 'records for nats' },
    });
    const { id, uuid } = webhookConsumer;

    const listed = await gql(`{ webhookConsumers(first: 10) { edges { node { uuid secretHint } } } node(id: "${id}") { ... on WebhookConsumer { name } } }`);
    expect(listed.errors).toBeUndefined();
    expect(listed.data.webhookConsumers.edges).toEqual([{ node: { uuid, secretHint: `…${secret.slice(-4)}` } }]);
    expect(listed.data.node).toEqual({ name: 'gql-hook' });
    expect(JSON.stringify(listed.data)).not.toContain(secret);
    const fields = await gql('{ __type(name: "WebhookConsumer") { fields { name } } }');
    expect(fields.data.__type.fields.map((f: { name: string }) => f.name)).not.toContain('secret');

    const updated = await gql(`mutation($id: ID!, $input: WebhookConsumerPatchInput!) { updateWebhookConsumer(id: $id, input: $input) { name maxInFlight headers } }`, {
      id: uuid,
      input: { name: 'gql-hook-2', maxInFlight: 5, headers: { authorization: null, 'x-team': 'payments-team' }, batchSize: null },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateWebhookConsumer).toEqual({ name: 'gql-hook-2', maxInFlight: 5, headers: { 'x-team': '…team' } });
    const cleared = await gql(`mutation($id: ID!) { updateWebhookConsumer(id: $id, input: { headers: null }) { headers batchSize } }`, { id });
    expect(cleared.data.updateWebhookConsumer).toEqual({ headers: {}, batchSize: 10 });

    const rotated = await gql(`mutation($id: ID!) { rotateWebhookConsumerSecret(id: $id) { secret webhookConsumer { secretHint previousSecretValidUntil } } }`, { id });
    expect(rotated.errors).toBeUndefined();
    const next = rotated.data.rotateWebhookConsumerSecret;
    expect(next.secret).toMatch(/^whsec_/);
    expect(next.secret).not.toBe(secret);
    expect(next.webhookConsumer.secretHint).toBe(`…${next.secret.slice(-4)}`);
    expect(Date.parse(next.webhookConsumer.previousSecretValidUntil)).toBeGreaterThan(Date.now());
    const revoked = await gql(`mutation($id: ID!) { rotateWebhookConsumerSecret(id: $id, previousSecretValidMs: 0) { webhookConsumer { previousSecretValidUntil } } }`, { id });
    expect(revoked.data.rotateWebhookConsumerSecret.webhookConsumer.previousSecretValidUntil).toBeNull();

    const reset = await gql(`mutation($id: ID!) { resetWebhookConsumer(id: $id, input: { deliverPolicy: "by_start_idx", optStartIdx: "3" }) { deliverPolicy optStartIdx resetCount } }`, { id });
    expect(reset.errors).toBeUndefined();
    expect(reset.data.resetWebhookConsumer).toEqual({ deliverPolicy: 'by_start_idx', optStartIdx: '3', resetCount: 1 });
    const badReset = await gql(`mutation($id: ID!) { resetWebhookConsumer(id: $id, input: { deliverPolicy: "by_start_time" }) { resetCount } }`, { id });
    expect(badReset.errors?.[0]?.extensions).toMatchObject({ code: 'invalid_start_position', status: 422 });

    // Another account: nothing to see, nothing to change.
    const foreign = await otherGql(`query($id: ID!) { webhookConsumer(id: $id) { name } webhookConsumers { edges { node { name } } } }`, { id });
    expect(foreign.data).toEqual({ webhookConsumer: null, webhookConsumers: { edges: [] } });
    const foreignRotate = await otherGql(`mutation($id: ID!) { rotateWebhookConsumerSecret(id: $id) { secret } }`, { id });
    expect(foreignRotate.errors?.[0]?.extensions?.code).toBe('not_found');

    expect((await gql(`mutation($id: ID!) { deleteWebhookConsumer(id: $id) }`, { id })).data.deleteWebhookConsumer).toBe(uuid);
    expect((await gql(`query($id: ID!) { webhookConsumer(id: $id) { name } }`, { id })).data.webhookConsumer).toBeNull();
  });

  it('refuses bad settings with the codes REST answers', async () => {
    const codeOf = async (input: Record<string, unknown>) => {
      const answer = await gql(`mutation($input: WebhookConsumerInput!) { createWebhookConsumer(input: $input) { secret } }`, { input: { name: 'bad', url: 'https://127.0.0.1/in', ...input } });
      return answer.errors?.[0]?.extensions?.code;
    };
    expect(await codeOf({ url: 'ftp://127.0.0.1/in' })).toBe('unsupported_url_scheme');
    expect(await codeOf({ url: 'nope' })).toBe('invalid_url');
    expect(await codeOf({ headers: { 'webhook-id': 'x' } })).toBe('reserved_header');
    expect(await codeOf({ headers: { 'x-list': ['not', 'a', 'string'] } })).toBe('validation_failed');
    expect(await codeOf({ batchSize: 5000 })).toBe('validation_failed');
  });
});
