import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/** A raw request, so the target reaches the server exactly as written. */
function rawGet(url: string, target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: target, method: 'GET', headers: { authorization: `Bearer ${ROOT_TOKEN}` } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('requests the reliability fuzzer found breaking the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 404 to targets without a host part instead of crashing', async () => {
    for (const target of ['//', '///', '//%2F']) {
      const answer = await rawGet(server.url, target);
      expect({ target, status: answer.status, code: JSON.parse(answer.body).error.code }).toEqual({ target, status: 404, code: 'route_not_found' });
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses strings PostgreSQL cannot store with a 400, in REST and GraphQL', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const nul = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_x', metadata: { note: 'a\u0000b' } });
    expect({ status: nul.status, code: nul.body.error.code, path: nul.body.error.details[0].path }).toEqual({ status: 400, code: 'validation_failed', path: 'metadata.note' });
    const surrogate = await api.post('/v1/streams', '{"name":"x\\ud800"}');
    expect(surrogate.status).toBe(400);
    const gql = graphqlClient(server.url, ROOT_TOKEN);
    const answer = await gql(`mutation($input: CredentialInput!) { createCredential(input: $input) { id } }`, {
      input: { kind: 'stripe', accessToken: 'sk_test_x', metadata: { note: 'a\u0000b' } },
    });
    expect(answer.errors?.[0]?.extensions?.code).toBe('validation_failed');
  });

  it('answers 404 for compat consumer refs that look like ids but are not', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const answer = await api.post(`/api/http_pull_consumers/${'-'.repeat(36)}/receive`, { batch_size: 1 });
    expect({ status: answer.status, code: answer.body.error.code }).toEqual({ status: 404, code: 'not_found' });
  });

  it('answers GraphQL input mistakes as validation errors and unknown node ids as null', async () => {
    const gql = graphqlClient(server.url, ROOT_TOKEN);
    const coerced = await gql(`query($first: Int) { streams(first: $first) { edges { node { id } } } }`, { first: 'x' });
    expect(coerced.errors?.[0]?.extensions?.code).toBe('validation_failed');
    const badArgs = await gql(`{ streams(first: -1) { edges { node { id } } } }`);
    expect(badArgs.errors?.[0]?.extensions?.code).toBe('validation_failed');
    const unknown = await gql(`query($id: ID!) { node(id: $id) { id } }`, { id: Buffer.from('Stream:00000000-0000-4000-8000-000000000000').toString('base64') });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.node).toBeNull();
    const malformed = await gql(`{ node(id: "not-a-global-id") { id } }`);
    // A malformed id is bad input; either answer is fine, never `internal`.
    expect(['validation_failed', 'not_found']).toContain(malformed.errors?.[0]?.extensions?.code);
  });
});
