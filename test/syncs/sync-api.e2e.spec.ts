import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('sync management API: shapes and bad input', () => {
  let server: TestServer;
  let api: RestClient;
  let other: RestClient;
  beforeAll(async () => {
    // No workers: these tests only exercise the API; nothing listens on the credential's base URL.
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    api = restClient(server.url, (await root.post('/v1/accounts', { name: 'syncs' })).body.api_token.token);
    other = restClient(server.url, (await root.post('/v1/accounts', { name: 'other' })).body.api_token.token);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('lists providers with collections, credential kinds and mutations', async () => {
    const answer = await api.get('/v1/providers');
    const stripe = answer.body.data.find((p: any) => p.name === 'stripe');
    expect(stripe.collections.map((c: any) => c.id)).toEqual(
      expect.arrayContaining(['stripe:customer', 'stripe:product', 'stripe:price', 'stripe:subscription', 'stripe:invoice', 'stripe:charge']),
    );
    expect(stripe.credential_kinds.map((k: any) => k.kind)).toContain('stripe');
  });

  it('creates a sync in the seed shape with an inline credential and the default stream', async () => {
    const created = await api.post('/v1/syncs', {
      provider: 'stripe',
      name: 'billing',
      collection_ids: ['stripe:customer', 'stripe:subscription'],
      rate_limit: { allowed_requests: 10, interval: 1, max_concurrent_requests: 2 },
      credential: { properties: { kind: 'stripe', secret: 'sk_test_inline_secret', name: 'inline', oauth_app_id: null } },
      metadata: { team: 'billing' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      provider: 'stripe',
      name: 'billing',
      collection_ids: ['stripe:customer', 'stripe:subscription'],
      rate_limit: { allowed_requests: 10, interval: 1, max_concurrent_requests: 2 },
      metadata: { team: 'billing' },
      poll_interval_ms: 5000,
      state: 'backfilling',
    });
    expect(JSON.stringify(created.body)).not.toContain('sk_test_inline_secret');
    const streams = await api.get('/v1/streams');
    expect(streams.body.data.map((s: any) => s.name)).toEqual(['default']);
    expect(created.body.stream_id).toBe(streams.body.data[0].id);
    expect((await api.get(`/v1/credentials/${created.body.credential_id}`)).body.name).toBe('inline');

    const status = await api.get(`/v1/syncs/${created.body.id}/status`);
    expect(status.body.collections.map((c: any) => c.collection_id)).toEqual(['stripe:customer', 'stripe:subscription']);
    expect((await api.get(`/v1/syncs/${created.body.id}/records`)).body).toEqual({ data: [], next_cursor: null });

    const patched = await api.patch(`/v1/syncs/${created.body.id}`, { poll_interval_ms: 1000, collection_ids: ['stripe:customer'] });
    expect(patched.body).toMatchObject({ poll_interval_ms: 1000, collection_ids: ['stripe:customer'] });
    expect((await api.post(`/v1/syncs/${created.body.id}/pause`)).body.state).toBe('paused');
    expect((await api.post(`/v1/syncs/${created.body.id}/resume`)).body.state).toBe('backfilling');
    expect((await api.post(`/v1/syncs/${created.body.id}/resync`)).status).toBe(200);
    expect((await other.get(`/v1/syncs/${created.body.id}`)).status).toBe(404);
    expect((await other.post(`/v1/syncs/${created.body.id}/pause`)).status).toBe(404);
    expect((await api.delete(`/v1/streams/${created.body.stream_id}`)).body.error.code).toBe('stream_not_empty');
    expect((await api.delete(`/v1/syncs/${created.body.id}`)).status).toBe(204);
    expect((await api.get(`/v1/syncs/${created.body.id}`)).status).toBe(404);
  });

  it('refuses bad sync input with a 4xx and a code', async () => {
    const credential = (await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_x' })).body;
    const github = (await api.post('/v1/credentials', { kind: 'github', access_token: 'ghp_x' })).body;
    const foreign = (await other.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_other' })).body;
    const base = { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: credential.id };
    const cases: [unknown, number, string][] = [
      [{ ...base, provider: 'myspace' }, 422, 'unknown_provider'],
      [{ ...base, collection_ids: ['stripe:unicorn'] }, 422, 'unknown_collection'],
      [{ ...base, collection_ids: ['hubspot:contact'] }, 422, 'unknown_collection'],
      [{ ...base, collection_ids: [] }, 400, 'validation_failed'],
      [{ provider: 'stripe', collection_ids: ['stripe:customer'] }, 422, 'credential_required'],
      [{ ...base, credential_id: foreign.id }, 422, 'credential_not_found'],
      [{ ...base, credential_id: github.id }, 422, 'credential_provider_mismatch'],
      [{ ...base, rate_limit: { allowed_requests: -1, interval: 1 } }, 400, 'validation_failed'],
      [{ ...base, rate_limit: { allowed_requests: 5, interval: 0 } }, 400, 'validation_failed'],
      [{ ...base, poll_interval_ms: 'soon' }, 400, 'validation_failed'],
      [{ ...base, stream_id: '00000000-0000-4000-8000-00000000abcd' }, 422, 'stream_not_found'],
      [{ ...base, surprise: true }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await api.post('/v1/syncs', body);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({ body, status, code });
    }
    expect((await api.get('/v1/syncs/not-a-uuid/status')).status).toBe(404);
    expect((await api.get('/v1/syncs/00000000-0000-4000-8000-000000000001/records?after_idx=-5')).status).toBe(400);
  });
});
