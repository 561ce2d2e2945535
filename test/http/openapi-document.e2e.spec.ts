import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { operationalRoutes } from '../../src/http/health.ts';
import type { Metrics } from '../../src/http/metrics.ts';
import { openApiPath } from '../../src/http/openapi/document.ts';
import { registerRestApi, restApiDocument } from '../../src/http/rest-api.ts';
import { createRestRouter } from '../../src/http/rest-router.ts';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const METHODS = new Set(['get', 'post', 'patch', 'put', 'delete']);
type Operation = { security?: object[]; parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const operationsOf = (document: Document) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );

/** Every property name a schema declares, at any depth, but inside free-form objects (they declare none). */
function propertyNames(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => propertyNames(s, found));
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value && typeof value === 'object') {
        for (const [name, property] of Object.entries(value)) {
          found.add(name);
          propertyNames(property, found);
        }
      } else propertyNames(value, found);
    }
  }
  return found;
}

describe('the OpenAPI document at /openapi.json', () => {
  let server: TestServer;
  let document: Document;
  beforeAll(async () => {
    // No workers: only the API is exercised (nothing listens on the credentials' base URLs).
    server = await startTestServer({}, { disableSyncs: true });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is served without a token, and validates as OpenAPI 3.1', async () => {
    const answer = await restClient(server.url, null).get<Document>('/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    document = answer.body;
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The test client checks answers against the document built in-process: it is the one served.
    expect(document).toEqual(JSON.parse(JSON.stringify(restApiDocument())));
  });

  it('lists every route the server registers, and no other', () => {
    // A router as the server builds it (its context is only read while answering).
    const router = createRestRouter({} as AppContext, {} as Metrics, 1024);
    registerRestApi(router.routes);
    const registered = [...router.definitions, ...operationalRoutes].map((r) => `${r.method} ${openApiPath(r.path)}`);
    const documented = operationsOf(document).map((o) => `${o.method} ${o.path}`);
    expect(new Set(registered).size).toBe(registered.length);
    expect(documented.sort()).toEqual(registered.sort());
    // The compatibility routes and the aliases are there like any other.
    expect(documented).toEqual(expect.arrayContaining(['POST /api/http_pull_consumers/{ref}/receive', 'GET /v1/nats-consumers/{id}', 'GET /v1/nats_consumers/{id}']));
  });

  it('has every documented operation answered by the server: 401 without a token where one is needed', async () => {
    const anonymous = restClient(server.url, null);
    for (const { method, path, operation } of operationsOf(document)) {
      const target = path.replace(/\{[^}]+\}/g, '0b7c1d2e-3f40-4a51-8b62-7c83d94ea5f6');
      const answer = await anonymous.raw(method, target);
      const where = `${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`;
      expect(['route_not_found', 'method_not_allowed'], where).not.toContain(answer.body?.error?.code);
      const security = operation.security ?? [{ bearerAuth: [] }];
      const needsToken = security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0);
      if (needsToken) expect(answer.status, where).toBe(401);
      expect(Object.keys(operation.responses), where).toContain(String(answer.status));
    }
  });

  it('names fields as REST does (snake_case), in requests and answers alike', () => {
    const names = new Set<string>();
    for (const { operation } of operationsOf(document)) {
      for (const parameter of operation.parameters ?? []) if (parameter.in === 'query') names.add(parameter.name);
      propertyNames(operation.requestBody, names);
      propertyNames(operation.responses, names);
    }
    propertyNames(document.components.schemas, names);
    expect([...names].filter((name) => !/^[a-z][a-z0-9_]*$/.test(name))).toEqual([]);
    const createSync = document.paths['/v1/syncs']!.post!.requestBody!.content['application/json']!.schema;
    expect([...propertyNames(createSync)]).toEqual(expect.arrayContaining(['collection_ids', 'rate_limit', 'allowed_requests', 'credential_id', 'poll_interval_ms', 'oauth_app_id']));
  });

  // Every REST test file checks its calls against the document (test/support/api.ts); these are the
  // routes none of them calls otherwise, called here so that each route answers in its declared shape.
  it('answers the routes no other REST test calls, in their declared shapes', async () => {
    const root = restClient(server.url, ROOT_TOKEN);
    const account = await root.post('/v1/accounts', { name: 'tour' });
    const api = restClient(server.url, account.body.api_token.token);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await api.get(path)).status).toBe(200);
    expect((await root.get(`/v1/accounts/${account.body.account.id}`)).body.limit_overrides).toEqual({ max_syncs: null, max_consumers: null });

    const app = await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: 'client', client_secret: 'a-client-secret-of-some-length' });
    expect((await api.get('/v1/oauth-apps')).body.data).toHaveLength(1);
    expect((await api.get(`/v1/oauth-apps/${app.body.id}`)).body.client_secret).toBe('…ngth');
    expect((await api.delete(`/v1/oauth-apps/${app.body.id}`)).status).toBe(204);

    const sync = await api.post('/v1/syncs', {
      provider: 'stripe',
      collection_ids: ['stripe:customer'],
      credential: { properties: { kind: 'stripe', secret: 'sk_test_tour_secret', api_base_url: 'http://127.0.0.1:9' } },
    });
    expect(sync.status).toBe(201);
    expect((await api.get(`/v1/syncs/${sync.body.id}`)).body.id).toBe(sync.body.id);
    expect((await api.get('/v1/syncs?limit=1')).body.data).toHaveLength(1);
    expect((await root.get('/v1/syncs?account_id=all')).status).toBe(200);
    expect((await api.get('/v1/syncs?account_id=all')).status).toBe(403);
    expect((await api.get(`/v1/syncs/${sync.body.id}/mutations`)).body).toEqual({ data: [], next_cursor: null });

    const consumer = await api.post('/v1/http-consumers', { name: 'tour', sync_id: sync.body.id });
    expect(consumer.status).toBe(201);
    expect((await api.get('/v1/http-consumers/tour/next?batch_size=10')).body).toEqual([]);
    expect((await api.raw('POST', '/v1/http-consumers/tour/next?batch_size=10')).body).toEqual([]);
    expect((await api.get('/api/http_pull_consumers/tour/receive?batch_size=10')).body).toEqual({ data: [] });
    expect((await api.post('/api/http_pull_consumers/tour/nack', { ack_ids: ['0b7c1d2e-3f40-4a51-8b62-7c83d94ea5f6'] })).body).toEqual({ success: true });
    expect((await api.post('/v1/http-consumers/tour/nack', { ack_tokens: ['x'], ack_ids: ['x'] })).status).toBe(400);
    expect((await api.delete('/v1/http-consumers/tour')).status).toBe(204);

    const nats = await api.post('/v1/nats-consumers', { name: 'tour', sync_id: sync.body.id, nats: { host: '127.0.0.1', port: 9 } });
    expect(nats.status).toBe(201);
    expect((await api.get('/v1/nats-consumers')).body.data).toHaveLength(1);
    expect((await api.patch(`/v1/nats-consumers/${nats.body.id}`, { subject_prefix: 'tour' })).body.subject_prefix).toBe('tour');
    expect((await api.delete(`/v1/nats-consumers/${nats.body.id}`)).status).toBe(204);
    expect((await api.delete(`/v1/syncs/${sync.body.id}`)).status).toBe(204);
  });
});
