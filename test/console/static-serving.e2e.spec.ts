import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleHandler, isConsolePath } from '../../src/http/console.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/** A raw request: fetch would normalise targets like `/../x`. */
function rawRequest(base: string, target: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: target, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console handler: static files, cache headers, SPA fallback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncline-console-static-'));
  let server: Server;
  let base: string;

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets/index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets/index-abc123.css'), 'body{}');
    writeFileSync(join(tmpdir(), 'syncline-secret.txt'), 'outside');
    const handler = createConsoleHandler(dir);
    server = createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'syncline-secret.txt'), { force: true });
  });

  it('serves hashed assets with their content type, cached for good', async () => {
    const js = await rawRequest(base, '/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    expect((await rawRequest(base, '/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers index.html, revalidated, for / and for client routes', async () => {
    for (const target of ['/', '/streams', '/streams/3f1c/records?collection=stripe:customer', '/api-tokens']) {
      const page = await rawRequest(base, target);
      expect({ target, status: page.status, type: page.headers['content-type'], cache: page.headers['cache-control'], body: page.body }).toEqual({
        target,
        status: 200,
        type: 'text/html; charset=utf-8',
        cache: 'no-cache',
        body: '<!doctype html><title>console</title>',
      });
    }
  });

  it('answers 304 to a matching ETag, HEAD without a body, 404 for a missing file, 405 for other methods', async () => {
    const first = await rawRequest(base, '/assets/index-abc123.js');
    const again = await rawRequest(base, '/assets/index-abc123.js', 'GET', { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    const head = await rawRequest(base, '/streams', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await rawRequest(base, '/assets/index-old999.js')).status).toBe(404);
    expect((await rawRequest(base, '/favicon.ico')).status).toBe(404);
    expect((await rawRequest(base, '/streams', 'POST')).status).toBe(405);
  });

  it('never serves a file outside its folder', async () => {
    for (const target of ['/../syncline-secret.txt', '/%2e%2e/syncline-secret.txt', '/assets/..%2f..%2fsyncline-secret.txt', '/%00']) {
      const answer = await rawRequest(base, target);
      expect(answer.body, target).not.toBe('outside');
      expect([400, 404], target).toContain(answer.status);
    }
  });

  it('leaves the API paths alone', () => {
    for (const path of ['/v1', '/v1/streams', '/api/http_pull_consumers/x/receive', '/graphql', '/healthz', '/readyz', '/metrics', '//', '///']) expect(isConsolePath(path), path).toBe(false);
    for (const path of ['/', '/streams', '/v1x', '/apis', '/graphql-docs', '/assets/a.js']) expect(isConsolePath(path), path).toBe(true);
  });

  it('says how to build the console when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'syncline-console-empty-'));
    const handler = createConsoleHandler(empty);
    const bare = createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const address = bare.address();
    try {
      const page = await rawRequest(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, '/streams');
      expect(page.status).toBe(200);
      expect(page.body).toContain('npm run build');
    } finally {
      await new Promise((resolve) => bare.close(resolve));
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the server with the console mounted', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps REST, GraphQL, health and metrics where they were', async () => {
    expect((await rawRequest(server.url, '/healthz')).status).toBe(200);
    expect((await rawRequest(server.url, '/readyz')).status).toBe(200);
    expect((await rawRequest(server.url, '/metrics')).headers['content-type']).toContain('text/plain');
    const streams = await rawRequest(server.url, '/v1/streams', 'GET', { authorization: `Bearer ${ROOT_TOKEN}` });
    expect(streams.status).toBe(200);
    expect(JSON.parse(streams.body)).toHaveProperty('data');
    expect(JSON.parse((await rawRequest(server.url, '/v1/nothing-here', 'GET', { authorization: `Bearer ${ROOT_TOKEN}` })).body).error.code).toBe('route_not_found');
    expect((await rawRequest(server.url, '/api/http_pull_consumers/x/receive', 'GET')).headers['content-type']).toContain('application/json');
    const graphql = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ROOT_TOKEN}` },
      body: JSON.stringify({ query: '{ viewer { account { name } } }' }),
    });
    expect(((await graphql.json()) as { data: { viewer: { account: { name: string } } } }).data.viewer.account.name).toBe('root');
    expect(JSON.parse((await rawRequest(server.url, '//')).body).error.code).toBe('route_not_found');
  });

  it('answers the console page at / and at client routes', async () => {
    for (const target of ['/', '/streams/abc/records']) {
      const page = await rawRequest(server.url, target);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<html');
    }
  });
});
