import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('streams over REST, and bad input', () => {
  let server: TestServer;
  let api: RestClient;
  beforeAll(async () => {
    server = await startTestServer();
    const account = await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'streams' });
    api = restClient(server.url, account.body.api_token.token);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('creates, gets, lists and deletes streams', async () => {
    const created = await api.post('/v1/streams', { name: 'dev' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'dev' });
    expect((await api.get(`/v1/streams/${created.body.id}`)).body).toEqual(created.body);
    expect((await api.get('/v1/streams')).body.data.map((s: any) => s.name)).toContain('dev');
    expect((await api.delete(`/v1/streams/${created.body.id}`)).status).toBe(204);
    expect((await api.get(`/v1/streams/${created.body.id}`)).status).toBe(404);
    expect((await api.delete(`/v1/streams/${created.body.id}`)).status).toBe(404);
  });

  it('refuses a duplicate name with 409, and frees the name once deleted', async () => {
    const first = await api.post('/v1/streams', { name: 'prod' });
    const duplicate = await api.post('/v1/streams', { name: 'prod' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('stream_name_taken');
    await api.delete(`/v1/streams/${first.body.id}`);
    expect((await api.post('/v1/streams', { name: 'prod' })).status).toBe(201);
  });

  it('pages lists with limit and cursor, each item once', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const name of names) await api.post('/v1/streams', { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer: any = await api.get(`/v1/streams?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status).toBe(200);
      expect(answer.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...answer.body.data.map((s: any) => s.name));
      cursor = answer.body.next_cursor;
      pages++;
    } while (cursor);
    expect(seen.filter((n) => n.startsWith('page-')).sort()).toEqual(names);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['malformed JSON', '{"name":', 400, 'malformed_json'],
    ['wrong type', { name: 42 }, 400, 'validation_failed'],
    ['unknown field', { name: 'ok', colour: 'red' }, 400, 'validation_failed'],
    ['missing field', {}, 400, 'validation_failed'],
    ['bad name', { name: 'has spaces!' }, 400, 'validation_failed'],
    ['JSON that is not an object', '[1,2,3]', 400, 'validation_failed'],
    ['oversized body', { name: 'x'.repeat(2_000_000) }, 413, 'payload_too_large'],
  ])('answers %s with %i and a code, never 500', async (_label, body, status, code) => {
    const answer = await api.post('/v1/streams', body);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });

  it('answers bad query parameters, ids and routes with 4xx', async () => {
    expect((await api.get('/v1/streams?limit=0')).status).toBe(400);
    expect((await api.get('/v1/streams?limit=abc')).status).toBe(400);
    const badCursor = await api.get('/v1/streams?cursor=garbage');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.code).toBe('invalid_cursor');
    expect((await api.get('/v1/streams/not-a-uuid')).status).toBe(404);
    expect((await api.get('/v1/nothing-here')).body.error.code).toBe('route_not_found');
    const wrongMethod = await api.raw('PUT', '/v1/streams', {});
    expect(wrongMethod.status).toBe(405);
  });
});
