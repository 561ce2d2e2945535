import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecordedExchange } from '../../src/emulators/kit/http-emulator.ts';
import { checkExchanges, violationCount } from '../support/api-description/report.ts';
import { hubspotApiDescription } from './api-descriptions/hubspot.ts';

/** A tiny OpenAPI 3.0 description in the shapes the providers' descriptions use. */
const description = {
  openapi: '3.0.0',
  info: { title: 'tiny', version: '1' },
  servers: [{ url: 'https://tiny.example/api/2' }],
  paths: {
    '/widgets': {
      get: {
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } },
          { name: 'created', in: 'query', style: 'deepObject', explode: true, schema: { anyOf: [{ type: 'object', properties: { gte: { type: 'integer' } }, additionalProperties: false }, { type: 'integer' }] } },
          { name: 'expand', in: 'query', style: 'deepObject', explode: true, schema: { type: 'array', items: { type: 'string' } } },
        ],
        responses: { '200': { content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/widget' } } }, required: ['data'] } } } } },
      },
      post: {
        requestBody: {
          content: {
            'application/x-www-form-urlencoded': {
              schema: { type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, metadata: { type: 'object', additionalProperties: { type: 'string' } } }, additionalProperties: false },
            },
          },
        },
        responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/widget' } } } }, default: { content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } } },
      },
    },
    '/widgets/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^w_' } }],
      put: {
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } } } },
        responses: { '204': { description: 'updated' } },
      },
    },
  },
  components: {
    schemas: {
      widget: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string', nullable: true }, created: { type: 'integer', format: 'unix-time' }, owner: { nullable: true, anyOf: [{ type: 'string' }, { $ref: '#/components/schemas/widget' }] } },
        required: ['id', 'name'],
      },
      error: { type: 'object', properties: { error: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } }, required: ['error'] },
    },
  },
};

const file = path.join(mkdtempSync(path.join(tmpdir(), 'api-description-')), 'tiny.json');
writeFileSync(file, JSON.stringify(description));

const exchange = (overrides: Partial<RecordedExchange>): RecordedExchange => ({
  method: 'GET',
  path: '/api/2/widgets',
  query: '',
  requestContentType: undefined,
  requestBody: '',
  status: 200,
  answerContentType: 'application/json; charset=utf-8',
  answerBody: JSON.stringify({ data: [{ id: 'w_1', name: null, created: 1700000000, owner: null }] }),
  ...overrides,
});

const check = (...exchanges: RecordedExchange[]) => checkExchanges({ document: file, allow: [] }, exchanges);
const violations = (...exchanges: RecordedExchange[]) => [...check(...exchanges).violations.keys()];

describe('API description checker', () => {
  it('passes exchanges the description allows, under the servers base path, with bracket-encoded query and form values', () => {
    const report = check(
      exchange({ query: 'limit=10&created%5Bgte%5D=1700000000&expand%5B%5D=owner' }),
      exchange({ method: 'POST', requestContentType: 'application/x-www-form-urlencoded', requestBody: 'name=a&tags[0]=x&tags[1]=y&metadata[k]=v', answerBody: JSON.stringify({ id: 'w_2', name: 'a', owner: { id: 'w_1', name: 'b' } }) }),
      exchange({ method: 'POST', requestContentType: 'application/x-www-form-urlencoded', requestBody: 'name=a', status: 402, answerBody: JSON.stringify({ error: { message: 'declined' } }) }),
      exchange({ method: 'PUT', path: '/api/2/widgets/w_1', requestContentType: 'application/json', requestBody: '{"name":"b"}', status: 204, answerBody: '' }),
    );
    expect([...report.violations.keys()]).toEqual([]);
    expect([...report.operations.keys()].sort()).toEqual(['GET /widgets', 'POST /widgets', 'PUT /widgets/{id}']);
    expect(report.answersValidated).toBe(3);
  });

  it('reports an answer that does not match the response schema', () => {
    expect(violations(exchange({ answerBody: JSON.stringify({ data: [{ id: 1, name: 'x' }] }) }))).toEqual([expect.stringMatching(/^GET \/widgets: answer 200 \/data\/\*\/id must be string/)]);
    expect(violations(exchange({ answerBody: JSON.stringify({ data: [{ id: 'w_1' }] }) }))).toEqual([expect.stringMatching(/must have required property 'name'/)]);
  });

  it('reports unknown operations, undescribed query parameters, invalid values and request bodies', () => {
    expect(violations(exchange({ path: '/api/2/gadgets' }))).toEqual(['GET /api/2/gadgets: no path of the description matches']);
    expect(violations(exchange({ method: 'DELETE' }))).toEqual(['DELETE /api/2/widgets: the path is described, the method is not']);
    expect(violations(exchange({ query: 'limit=500&starting_after=w_1' }))).toEqual([
      'GET /widgets: query parameter "starting_after" is not described',
      expect.stringMatching(/^GET \/widgets: query \/limit must be <= 100/),
    ]);
    expect(violations(exchange({ method: 'POST', requestContentType: 'application/x-www-form-urlencoded', requestBody: 'name=a&colour=red', answerBody: JSON.stringify({ id: 'w_2', name: 'a' }) }))).toEqual([
      expect.stringMatching(/^POST \/widgets: request body \/ must NOT have additional properties \{"additionalProperty":"colour"\}/),
    ]);
    expect(violations(exchange({ method: 'POST', requestContentType: 'application/json', requestBody: '{"name":"a"}', answerBody: JSON.stringify({ id: 'w_2', name: 'a' }) }))).toEqual([
      'POST /widgets: request content type "application/json" is not described (application/x-www-form-urlencoded)',
    ]);
    expect(violations(exchange({ method: 'PUT', path: '/api/2/widgets/x1', requestContentType: 'application/json', requestBody: '{}', status: 204, answerBody: '' }))).toEqual([
      expect.stringMatching(/^PUT \/widgets\/\{id\}: path \/id must match pattern/),
    ]);
  });

  it('reports a status the operation does not describe, unless it was an injected fault', () => {
    expect(violations(exchange({ status: 404, answerBody: '{}' }))).toEqual(['GET /widgets: answers 404, a status the operation does not describe']);
    const faulted = check(exchange({ status: 500, answerBody: '{}', fault: 'rate500' }));
    expect(violationCount(faulted)).toBe(0);
    expect(faulted.faultsNotDescribed).toBe(1);
  });

  it('checks operations a supplement adds like the described ones', () => {
    const supplement = { paths: { '/gadgets/{id}': { get: { responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/gadget' } } } } } } } }, schemas: { gadget: { type: 'object', properties: { widget: { $ref: '#/components/schemas/widget' } }, required: ['widget'] } } };
    const gadget = (answer: unknown) => exchange({ path: '/api/2/gadgets/g_1', answerBody: JSON.stringify(answer) });
    const report = checkExchanges({ document: file, supplement, allow: [] }, [gadget({ widget: { id: 'w_1', name: 'a' } }), gadget({ widget: { id: 'w_1' } })]);
    expect([...report.operations.keys()]).toEqual(['GET /gadgets/{id}']);
    expect([...report.violations.keys()]).toEqual([expect.stringMatching(/^GET \/gadgets\/\{id\}: answer 200 \/widget must have required property 'name'/)]);
  });

  it('counts a violation an allow-list entry covers as allowed, not as a violation', () => {
    const entry = { match: /^GET \/widgets: answers 404/, reason: 'the description leaves out 404' };
    const report = checkExchanges({ document: file, allow: [entry] }, [exchange({ status: 404, answerBody: '{}' })]);
    expect(violationCount(report)).toBe(0);
    expect(report.allowed.get(entry)).toBe(1);
  });
});

describe('a description rebuilt from a generated client (@hubspot/api-client)', () => {
  const hubspot = { document: hubspotApiDescription.document, allow: [] };
  const object = { id: '51', properties: { email: 'a@example.com', phone: null }, createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '2026-01-02T03:04:05.000Z', archived: false };
  const read = (answer: unknown, query = 'properties=email,phone&archived=false') =>
    exchange({ path: '/crm/v3/objects/contacts/51', query, answerBody: JSON.stringify(answer) });

  it('has the client operations, their query parameters and their closed models', () => {
    const report = checkExchanges(hubspot, [
      read(object),
      exchange({ path: '/crm/v3/objects/contacts', query: 'limit=100&after=200&archived=true&properties=email', answerBody: JSON.stringify({ results: [object], paging: { next: { after: '300' } } }) }),
      exchange({ method: 'POST', path: '/oauth/v1/token', requestContentType: 'application/x-www-form-urlencoded', requestBody: 'grant_type=refresh_token&client_id=c&client_secret=s&refresh_token=r', answerBody: JSON.stringify({ access_token: 'a', refresh_token: 'r', token_type: 'bearer', expires_in: 1800 }) }),
    ]);
    expect([...report.violations.keys()]).toEqual([]);
    expect([...report.operations.keys()]).toEqual(['GET /crm/v3/objects/{objectType}/{objectId}', 'GET /crm/v3/objects/{objectType}', 'POST /oauth/v1/token']);
  });

  it('finds what the models do not have: an invented property, a missing required one, an unknown parameter', () => {
    const { id: _id, ...withoutId } = object;
    const report = checkExchanges(hubspot, [read({ ...object, lastSeen: 1 }), read(withoutId), read(object, 'properties=email&includeEverything=true')]);
    expect([...report.violations.keys()]).toEqual([
      `GET /crm/v3/objects/{objectType}/{objectId}: answer 200 / must NOT have additional properties {"additionalProperty":"lastSeen"}`,
      `GET /crm/v3/objects/{objectType}/{objectId}: answer 200 / must have required property 'id' {"missingProperty":"id"}`,
      'GET /crm/v3/objects/{objectType}/{objectId}: query parameter "includeEverything" is not described',
    ]);
  });
});
