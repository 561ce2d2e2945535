import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/sync/http/rate-limiter.ts';
import { createUpstreamFetch, readOnly, type UpstreamFetchEvent } from '../../src/sync/http/upstream-fetch.ts';

/** A real HTTP upstream that answers each path with a scripted sequence of statuses. */
function scriptedUpstream(script: Record<string, Array<{ status: number; headers?: Record<string, string> }>>) {
  const hits: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const step = script[path]?.[hits[path] ?? 0] ?? { status: 200 };
    hits[path] = (hits[path] ?? 0) + 1;
    res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
    res.end(JSON.stringify({ status: step.status }));
  });
  return { server, hits };
}

describe('upstream fetch', () => {
  const upstream = scriptedUpstream({
    '/retry-after': [{ status: 429, headers: { 'retry-after': '0.3' } }, { status: 200 }],
    '/flaky': [{ status: 500 }, { status: 503 }, { status: 200 }],
    '/post-flaky': [{ status: 500 }, { status: 200 }],
    '/idempotent-post': [{ status: 502 }, { status: 200 }],
    '/search-post': [{ status: 500 }, { status: 200 }],
    '/unauthorized': [{ status: 401 }],
    '/slow-down-403': [{ status: 403, headers: { 'x-slow-down': 'yes' } }, { status: 200 }],
    '/bad-credential-403': [{ status: 403 }],
    '/secondary-limit-403': [{ status: 403, headers: { 'x-wait-at-least': '300' } }, { status: 200 }],
    '/quota-nearly-used': [{ status: 200, headers: { 'x-quota-pause-ms': '300' } }],
  });
  let base: string;
  const events: UpstreamFetchEvent[] = [];
  let limiter: RateLimiter;
  let upstreamFetch: typeof fetch;

  beforeAll(async () => {
    await new Promise<void>((resolve) => (upstream.server as Server).listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
    limiter = new RateLimiter({ allowedRequests: 100, intervalSeconds: 1, maxConcurrentRequests: 0 });
    upstreamFetch = createUpstreamFetch({ limiter, signal: new AbortController().signal, onEvent: (e) => events.push(e), baseDelayMs: 20 });
  });
  afterAll(() => new Promise<void>((resolve) => upstream.server.close(() => resolve())));

  it('waits for Retry-After on 429, pausing the whole limiter, then succeeds', async () => {
    const started = performance.now();
    const response = await upstreamFetch(`${base}/retry-after`);
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(events).toContainEqual(expect.objectContaining({ type: 'rate_limited', waitMs: 300 }));
    // The pause was waited in the limiter (counted from the retry's acquire, a moment after the
    // 429 set it: how long that moment is depends on the machine, so only the count is checked).
    expect(limiter.stats().waitMs).toBeGreaterThan(0);
  });

  it('retries 5xx on reads with backoff', async () => {
    const response = await upstreamFetch(`${base}/flaky`);
    expect(response.status).toBe(200);
    expect(upstream.hits['/flaky']).toBe(3);
    expect(events.filter((e) => e.type === 'retry' && e.url.endsWith('/flaky'))).toHaveLength(2);
  });

  it('does not repeat a POST without an idempotency key, but does with one or when marked read-only', async () => {
    expect((await upstreamFetch(`${base}/post-flaky`, { method: 'POST', body: 'a=1' })).status).toBe(500);
    expect(upstream.hits['/post-flaky']).toBe(1);
    const response = await upstreamFetch(`${base}/idempotent-post`, { method: 'POST', body: 'a=1', headers: { 'Idempotency-Key': 'k1' } });
    expect(response.status).toBe(200);
    expect(upstream.hits['/idempotent-post']).toBe(2);
    const search = await upstreamFetch(`${base}/search-post`, readOnly({ method: 'POST', body: '{"filters":[]}' }));
    expect(search.status).toBe(200);
    expect(upstream.hits['/search-post']).toBe(2);
  });

  it("treats a 403 the provider calls a rate limit like a 429, and hands other 403s back", async () => {
    const providerFetch = createUpstreamFetch({
      limiter,
      signal: new AbortController().signal,
      baseDelayMs: 20,
      isRateLimited: ({ headers }) => (headers.has('x-wait-at-least') ? Number(headers.get('x-wait-at-least')) : headers.get('x-slow-down') === 'yes'),
    });
    expect((await providerFetch(`${base}/slow-down-403`)).status).toBe(200);
    expect(upstream.hits['/slow-down-403']).toBe(2);
    expect((await providerFetch(`${base}/bad-credential-403`)).status).toBe(403);
    expect(upstream.hits['/bad-credential-403']).toBe(1);
    // A provider can ask for a minimum wait (GitHub: a secondary limit without Retry-After).
    const started = performance.now();
    expect((await providerFetch(`${base}/secondary-limit-403`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("holds the sync's next request for as long as the provider reads from its quota headers", async () => {
    const quotaLimiter = new RateLimiter({ allowedRequests: 100, intervalSeconds: 1, maxConcurrentRequests: 0 });
    const providerFetch = createUpstreamFetch({
      limiter: quotaLimiter,
      signal: new AbortController().signal,
      quotaPauseMs: (headers) => Number(headers.get('x-quota-pause-ms')) || null,
    });
    await providerFetch(`${base}/quota-nearly-used`);
    const started = performance.now();
    await providerFetch(`${base}/after-pause`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('hands 401 back untouched for the provider to interpret', async () => {
    expect((await upstreamFetch(`${base}/unauthorized`)).status).toBe(401);
    expect(upstream.hits['/unauthorized']).toBe(1);
  });
});
