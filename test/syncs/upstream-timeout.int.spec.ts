import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/sync/http/rate-limiter.ts';
import { createUpstreamFetch, UpstreamTimeoutError, type UpstreamFetchEvent } from '../../src/sync/http/upstream-fetch.ts';
import { callStripe, createStripeClient } from '../../src/sync/providers/stripe/client.ts';

/**
 * A request that never answers used to hold its collection for the Stripe SDK's 80 s with nothing
 * in the sync's status. Each attempt now has its own clock in the engine's fetch (rate-limit
 * waits excluded); the error names the upstream and the timeout, and the sync shows it.
 */
describe('upstream attempt timeout', () => {
  let base: string;
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/slow')) setTimeout(() => res.end('{"object":"list","data":[],"has_more":false,"url":"/v1/customers"}'), 100);
    // anything else: never answered
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const upstream = (limiter: RateLimiter, events: UpstreamFetchEvent[] = []) =>
    createUpstreamFetch({ limiter, signal: new AbortController().signal, attemptTimeoutMs: 200, maxAttempts: 2, baseDelayMs: 10, onEvent: (e) => events.push(e) });

  it('abandons an attempt without an answer, retries it, then fails with an error naming the upstream', async () => {
    const events: UpstreamFetchEvent[] = [];
    const fetch = upstream(new RateLimiter({ allowedRequests: 100, intervalSeconds: 1, maxConcurrentRequests: 0 }), events);
    const error = await fetch(`${base}/v1/customers`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toBe(`no answer from ${base} within 0.2 s (/v1/customers)`);
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', attempt: 1, reason: expect.stringContaining('within 0.2 s') }));
  });

  it('times out even when a garbage collection runs while the attempt waits (found by the reliability suite)', async () => {
    // Node 20's AbortSignal.any holds its sources weakly: an AbortSignal.timeout signal collected
    // before it fired left the request hanging for ever.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const fetch = upstream(new RateLimiter({ allowedRequests: 100, intervalSeconds: 1, maxConcurrentRequests: 0 }));
    const pending = fetch(`${base}/v1/customers`).catch((e: unknown) => e);
    const collecting = setInterval(gc, 20);
    try {
      const outcome = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3_000))]);
      expect(outcome).toBeInstanceOf(UpstreamTimeoutError);
    } finally {
      clearInterval(collecting);
    }
  });

  it('surfaces through the Stripe SDK as the engine timeout, not a generic connection error', async () => {
    const fetch = upstream(new RateLimiter({ allowedRequests: 100, intervalSeconds: 1, maxConcurrentRequests: 0 }));
    const stripe = createStripeClient({
      credential: { kind: 'stripe', accessToken: 'sk_test_timeout', accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: base, metadata: {}, oauthApp: null },
      fetch,
      oauth: null,
    });
    const error = await callStripe(() => stripe.customers.list({ limit: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('does not count a rate-limit wait against the attempt', async () => {
    const limiter = new RateLimiter({ allowedRequests: 100, intervalSeconds: 1, maxConcurrentRequests: 0 });
    limiter.pauseFor(400); // twice the attempt timeout
    const response = await upstream(limiter)(`${base}/slow`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: 'list' });
  });
});
