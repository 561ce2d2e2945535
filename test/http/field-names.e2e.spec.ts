import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/** REST speaks snake_case to commands that take camelCase (src/http/rest-input.ts): the answers must not show it. */
describe('REST field names', () => {
  let server: TestServer;
  let api: RestClient;
  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    api = restClient(server.url, ROOT_TOKEN);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const problems = (answer: { status: number; body: any }) => [answer.status, answer.body.error.code, answer.body.error.details];

  it('names the fields of validation errors as the request did, and refuses the commands own names', async () => {
    const answer = await api.post('/v1/syncs', { provider: 'stripe', collectionIds: ['stripe:customer'], rate_limit: { allowed_requests: 0, interval: 1, maxConcurrentRequests: 2 } });
    expect(problems(answer)).toEqual([
      400,
      'validation_failed',
      [
        { path: 'collection_ids', message: 'Invalid input: expected array, received undefined' },
        { path: 'rate_limit.allowed_requests', message: 'Too small: expected number to be >0' },
        { path: 'rate_limit', message: 'Unrecognized key: "maxConcurrentRequests"' },
        { path: '', message: 'Unrecognized key: "collectionIds"' },
      ],
    ]);
    const odd = await api.post('/v1/streams', { name: 'x', some_field: 1, a_1: 2 });
    expect(problems(odd)).toEqual([400, 'validation_failed', [{ path: '', message: 'Unrecognized keys: "some_field", "a_1"' }]]);
  });

  it('names the fields of the problems a command finds in REST terms', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const sync = await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer', 'stripe:nope'], credential_id: missing });
    expect([sync.status, sync.body.error.code, sync.body.error.details.map((d: { path: string }) => d.path)]).toEqual([422, 'unknown_collection', ['collection_ids.1']]);
    const credential = await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: missing, poll_interval_ms: 1000 });
    expect([credential.status, credential.body.error.details]).toEqual([422, [{ path: 'credential_id', message: 'not found' }]]);
    const inline = await api.post('/v1/syncs', { provider: 'shopify', collection_ids: ['shopify:order'], credential: { properties: { kind: 'shopify', secret: 'shpat_x', metadata: {} } } });
    expect([inline.status, inline.body.error.details.map((d: { path: string }) => d.path)]).toEqual([422, ['metadata.shop']]);
  });

  it("sets an account's limits under REST's names", async () => {
    const accountId = (await api.post('/v1/accounts', { name: 'limited' })).body.account.id;
    const bad = await api.patch(`/v1/accounts/${accountId}`, { limits: { max_syncs: -1, maxConsumers: 2 } });
    expect(problems(bad)).toEqual([
      400,
      'validation_failed',
      [
        { path: 'limits.max_syncs', message: 'Too small: expected number to be >=0' },
        { path: 'limits', message: 'Unrecognized key: "maxConsumers"' },
      ],
    ]);
    const set = await api.patch(`/v1/accounts/${accountId}`, { limits: { max_syncs: 3, max_consumers: null } });
    expect([set.status, set.body.limit_overrides, set.body.limits.max_syncs]).toEqual([200, { max_syncs: 3, max_consumers: null }, 3]);
  });

  it('keeps the keys of metadata as given, and answers in snake_case', async () => {
    const credential = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_abcdefghijkl', metadata: { shopName: 'x', nested_key: { innerKey: 1 } } });
    expect(credential.status).toBe(201);
    const sync = await api.post('/v1/syncs', {
      provider: 'stripe',
      collection_ids: ['stripe:customer'],
      credential_id: credential.body.id,
      rate_limit: { allowed_requests: 5, interval: 2 },
      metadata: { teamId: 't1', snake_case: true },
      poll_interval_ms: 60_000,
    });
    expect(sync.status).toBe(201);
    expect(sync.body).toMatchObject({
      credential_id: credential.body.id,
      rate_limit: { allowed_requests: 5, interval: 2, max_concurrent_requests: 0 },
      metadata: { teamId: 't1', snake_case: true },
      poll_interval_ms: 60_000,
    });
    expect(credential.body.metadata).toEqual({ shopName: 'x', nested_key: { innerKey: 1 } });
    const patched = await api.patch(`/v1/syncs/${sync.body.id}`, { rate_limit: { allowed_requests: 7, interval: 1, max_concurrent_requests: 1 } });
    expect(patched.body.rate_limit).toEqual({ allowed_requests: 7, interval: 1, max_concurrent_requests: 1 });
  });
});
