import { describe, expect, it } from 'vitest';
import { assertDocumented, type Exchange } from '../support/openapi-check.ts';

const stream = { id: '6f1c1a52-3a4e-4f5b-9c1d-2b3a4c5d6e7f', name: 'orders', created_at: '2026-01-02T03:04:05.678Z' };
const token = { authorization: 'Bearer syn_x' };

function exchange(over: Partial<Exchange> & { body?: unknown }): Exchange {
  const { body, ...rest } = over;
  return {
    method: 'GET',
    target: `/v1/streams/${stream.id}`,
    requestHeaders: token,
    requestBody: undefined,
    status: 200,
    responseHeaders: new Headers({ 'content-type': 'application/json; charset=utf-8' }),
    responseText: JSON.stringify(body ?? stream),
    ...rest,
  };
}

const error = (code: string) => ({ error: { code, message: code, details: [] } });

describe('the OpenAPI check of the REST test client', () => {
  it('passes an answer as documented, and a refusal of an invalid request in the error shape', () => {
    expect(() => assertDocumented(exchange({}))).not.toThrow();
    expect(() => assertDocumented(exchange({ method: 'POST', target: '/v1/streams', requestBody: { name: 'a', extra: 1 }, status: 400, body: error('validation_failed') }))).not.toThrow();
  });

  it('fails an answer with a field the document does not declare, naming route, status and field', () => {
    expect(() => assertDocumented(exchange({ body: { ...stream, extra: 1 } }))).toThrow(/GET \/v1\/streams\/\{id\} → 200[\s\S]*additionalProperty[\s\S]*extra/);
    expect(() => assertDocumented(exchange({ body: { ...stream, created_at: 'yesterday' } }))).toThrow(/\/created_at: must match format "date-time"/);
  });

  it('fails a status the operation does not document', () => {
    expect(() => assertDocumented(exchange({ status: 418, body: error('teapot') }))).toThrow(/status 418 is not documented/);
  });

  it('fails a request the document calls invalid that the server accepted', () => {
    const accepted = exchange({ method: 'POST', target: '/v1/streams', requestBody: { name: 'a', extra: 1 }, status: 201 });
    expect(() => assertDocumented(accepted)).toThrow(/the request does not match the document, yet the server answered 201[\s\S]*request body: must NOT have additional properties/);
    expect(() => assertDocumented(exchange({ requestHeaders: {} }))).toThrow(/no bearer token/);
    expect(() => assertDocumented(exchange({ target: '/v1/streams?limit=abc', body: { data: [], next_cursor: null } }))).toThrow(/query parameter limit: must be integer/);
  });

  it('expects 404 route_not_found for a path the document does not know, 405 for another method', () => {
    expect(() => assertDocumented(exchange({ target: '/v1/nothing', status: 404, body: error('route_not_found') }))).not.toThrow();
    expect(() => assertDocumented(exchange({ target: '/v1/nothing', status: 200 }))).toThrow(/expected 404 route_not_found/);
    expect(() => assertDocumented(exchange({ method: 'PUT', status: 405, body: error('method_not_allowed') }))).not.toThrow();
  });

  it('checks declared headers and empty bodies', () => {
    expect(() => assertDocumented(exchange({ method: 'DELETE', status: 204, responseText: '' }))).not.toThrow();
    expect(() => assertDocumented(exchange({ method: 'DELETE', status: 204, responseText: '{}' }))).toThrow(/a body where none is documented/);
    expect(() => assertDocumented(exchange({ status: 429, body: error('rate_limited') }))).toThrow(/header retry-after is missing/);
  });
});
