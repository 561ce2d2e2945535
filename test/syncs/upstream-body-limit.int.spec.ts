/**
 * The engine's fetch bounds what an upstream answer may bring into memory (issue 21, finding 2):
 * one answer over `maxBodyBytes` (streamed, or declared by Content-Length) and one provider call
 * whose answers together exceed its read budget fail with a clear error, once, without retries;
 * the activity board sees the request in flight while it is on the wire.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyTooLargeCause, UpstreamBodyTooLargeError, UpstreamReadBudgetError, withFreshReadBudget, withReadBudget } from '../../src/sync/http/bounded-body.ts';
import { RateLimiter } from '../../src/sync/http/rate-limiter.ts';
import { createUpstreamFetch } from '../../src/sync/http/upstream-fetch.ts';
import { inCollection, SyncActivity } from '../../src/sync/in-flight.ts';

const LIMIT = 64 * 1024;

describe('upstream answer size limits', () => {
  const hits: Record<string, number> = {};
  let release: () => void = () => undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits[url.pathname] = (hits[url.pathname] ?? 0) + 1;
    const bytes = Number(url.searchParams.get('bytes') ?? 10);
    if (url.pathname === '/hang') return void (release = () => res.end('{}'));
    if (url.pathname === '/declared') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes) });
      // Claims `bytes` but sends only a little: refusing must not wait for the body.
      return void res.write('{"a":"');
    }
    res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length announced
    let sent = 0;
    const chunk = 'x'.repeat(8 * 1024);
    const next = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', next);
      }
      res.end();
    };
    res.on('error', () => undefined);
    next();
  });
  let base: string;
  const activity = new SyncActivity();
  const upstreamFetch = createUpstreamFetch({
    limiter: new RateLimiter({ allowedRequests: 1000, intervalSeconds: 1, maxConcurrentRequests: 0 }),
    signal: new AbortController().signal,
    maxBodyBytes: LIMIT,
    baseDelayMs: 10,
    activity,
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads an answer within the limit whole', async () => {
    const text = await (await upstreamFetch(`${base}/stream?bytes=${LIMIT - 8192}`)).text();
    expect(text.length).toBe(LIMIT - 8192);
  });

  it('stops a streamed answer once it passes the limit, naming the limit and the request without its query', async () => {
    const response = await upstreamFetch(`${base}/stream?bytes=${50 * LIMIT}&token=secret`);
    const error = await response.text().then(
      () => null,
      (e: unknown) => e,
    );
    const tooLarge = bodyTooLargeCause(error);
    expect(tooLarge).toBeInstanceOf(UpstreamBodyTooLargeError);
    expect(tooLarge!.message).toBe(`upstream answer exceeds SYNCLINE_MAX_UPSTREAM_BODY_BYTES (${LIMIT} bytes): GET /stream`);
    expect(hits['/stream']).toBe(2); // not retried
  });

  it('refuses a declared Content-Length over the limit at once, without retrying', async () => {
    const started = performance.now();
    await expect(upstreamFetch(`${base}/declared?bytes=${LIMIT + 1}`)).rejects.toBeInstanceOf(UpstreamBodyTooLargeError);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(hits['/declared']).toBe(1);
  });

  it('bounds what one call reads in all its answers, unless it keeps only the last (fresh budget per page)', async () => {
    const page = () => upstreamFetch(`${base}/page?bytes=${LIMIT / 2}`).then((r) => r.text());
    const gathered: string[] = [];
    const gather = withReadBudget(2 * LIMIT, async () => {
      for (let i = 0; i < 10; i++) gathered.push(await page());
    });
    const error = await gather.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamReadBudgetError);
    expect((error as UpstreamReadBudgetError).code).toBe('upstream_step_too_large');
    expect((error as Error).message).toContain(`SYNCLINE_MAX_UPSTREAM_STEP_BYTES (${2 * LIMIT} bytes)`);
    expect(gathered.length).toBeLessThanOrEqual(4);
    await withReadBudget(2 * LIMIT, async () => {
      for (let i = 0; i < 10; i++) await withFreshReadBudget(page);
    });
  });

  it('shows the request in flight, under its collection, until its answer arrives', async () => {
    const pending = inCollection('test:thing', () => upstreamFetch(`${base}/hang?key=secret`));
    await new Promise((r) => setTimeout(r, 200));
    const view = activity.view('test:thing');
    expect(view.inFlight).toEqual([expect.objectContaining({ method: 'GET', path: '/hang' })]);
    expect(view.inFlight[0]!.ageMs).toBeGreaterThanOrEqual(150);
    expect(activity.view('test:other').inFlight).toEqual([]);
    release();
    await (await pending).text();
    expect(activity.view('test:thing').inFlight).toEqual([]);
  });
});
