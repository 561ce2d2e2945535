/**
 * Part 2 — upstream faults: a sync with a strict rate limit runs against every fault kind of the
 * emulator at once (429, 500, requests cut after a timeout, reset connections, 200s with a cut
 * JSON body, slow answers, and one request that is never answered) while objects change
 * upstream. It converges to the upstream set, and the emulator's own request log never shows more
 * than `allowed_requests` in any `interval` nor more than `max_concurrent_requests` at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type Faults, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { UPSTREAM_ATTEMPT_TIMEOUT_MS } from '../../src/sync/http/upstream-fetch.ts';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, syncStatus, waitForBackfill, waitForUpstreamMatch, differencesFromUpstream } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { suiteSeed } from './support/prng.ts';
import { reportFigures } from './support/report.ts';
import { maxConcurrent, maxInAnyWindow } from '../support/request-log-windows.ts';

const RATE_LIMIT = { allowed_requests: 6, interval: 1, max_concurrent_requests: 2 };
const FAULTS: Faults = {
  rate429: 0.04,
  rate500: 0.04,
  timeoutRate: 0.03,
  timeoutMs: 2_000,
  resetRate: 0.03,
  truncatedRate: 0.04,
  slowMs: 300,
};
/** A never-answered request is abandoned after the engine's per-attempt timeout (then retried). */
const ATTEMPT_TIMEOUT_MS = UPSTREAM_ATTEMPT_TIMEOUT_MS;

describe('upstream faults: every fault kind at once, a strict rate limit, random mutations', () => {
  const seed = suiteSeed('faults', Math.floor(Math.random() * 2 ** 31));
  let emulator: StripeEmulator;
  let server: TestServer;

  beforeAll(async () => {
    emulator = await startStripeEmulator({
      seed: { customer: 1500, product: 80, price: 80, subscription: 80, invoice: 80, charge: 80 },
      randomSeed: seed,
      // The emulator refuses what exceeds the sync's own limit: a 429 without `fault` would be the engine's fault.
      rateLimit: { requests: RATE_LIMIT.allowed_requests, windowMs: 1000 },
    });
    server = await startTestServer({ LOG_LEVEL: 'warn' });
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('converges to the upstream set and never exceeds the rate limit nor the concurrency limit', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const started = Date.now();
    // Exactly one request that is never answered: only the client's own timeout can end it.
    emulator.setFaults({ timeoutRate: 1, maxTimeouts: 1 });
    const { sync } = await createStripeSync(api, emulator, { rateLimit: RATE_LIMIT, pollIntervalMs: 1000 });
    await waitFor(async () => emulator.requestLog.some((e) => e.fault === 'timeout'), 10_000, 'a request to hang');
    emulator.setFaults(FAULTS);
    const hung = emulator.requestLog.filter((e) => e.fault === 'timeout');
    emulator.startRandomMutations({ everyMs: 500, perTick: 2 });

    // Generous: 429 backoffs and slow answers under a 6/s limit, plus the never-answered request.
    await waitForBackfill(api, sync.id, ATTEMPT_TIMEOUT_MS + 150_000);
    const backfillMs = Date.now() - started;
    // Changes keep coming through the faults for a while after the backfill.
    await new Promise((r) => setTimeout(r, 10_000));
    emulator.stopRandomMutations();
    const mutationsStoppedAt = Date.now();
    // Converges with every fault still on. Each changed Stripe object is read back at the pinned
    // version (issue 25), one request each under the 6/s limit, so the backlog of ~4 changes a second
    // takes about a minute to drain through the faults (63 s measured with seed 225522718).
    await waitForUpstreamMatch(api, sync.id, emulator, 150_000);
    const convergeMs = Date.now() - mutationsStoppedAt;
    emulator.setFaults({});
    expect(await differencesFromUpstream(api, sync.id, emulator)).toEqual([]);

    // The never-answered requests ended with the engine's attempt timeout, not before, and were not the end of the sync.
    for (const request of hung) {
      expect(request.endedAt).toBeGreaterThan(0);
      expect(request.endedAt - request.startedAt).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 1_000);
    }

    const log = [...emulator.requestLog];
    const open = log.filter((e) => e.endedAt === 0);
    expect(open.length).toBeLessThanOrEqual(RATE_LIMIT.max_concurrent_requests);
    const closed = log.map((e) => (e.endedAt === 0 ? { ...e, endedAt: performance.timeOrigin + performance.now() } : e));
    const maxWindow = maxInAnyWindow(log.map((e) => e.startedAt), RATE_LIMIT.interval * 1000);
    const maxOpen = maxConcurrent(closed);
    const refusedByEmulatorLimit = log.filter((e) => e.status === 429 && e.fault === undefined).length;
    expect(maxWindow).toBeLessThanOrEqual(RATE_LIMIT.allowed_requests);
    expect(maxOpen).toBeLessThanOrEqual(RATE_LIMIT.max_concurrent_requests);
    expect(refusedByEmulatorLimit).toBe(0);

    const faults = emulator.faultCounts;
    for (const kind of ['rate429', 'rate500', 'timeout', 'reset', 'truncated', 'slow'] as const) expect(faults[kind]).toBeGreaterThan(0);
    const status = await waitFor(async () => {
      const s = await syncStatus(api, sync.id);
      return s.retries > 0 && s.rate_limit_wait_ms > 0 ? s : null;
    }, 10_000, 'retries and rate-limit waits in the status');

    reportFigures('faults', {
      seed,
      rateLimit: RATE_LIMIT,
      faultRates: FAULTS,
      requests: log.length,
      faultsInjected: faults,
      neverAnswered: hung.length,
      neverAnsweredHeldMs: hung.map((e) => Math.round(e.endedAt - e.startedAt)),
      backfillMs,
      convergeAfterMutationsStoppedMs: convergeMs,
      records: (await syncStatus(api, sync.id)).collections.reduce((n: number, c: { records: number }) => n + c.records, 0),
      maxRequestsInAnyWindow: maxWindow,
      maxConcurrentRequests: maxOpen,
      refusedByEmulatorLimit,
      engineRetries: status.retries,
      engineRateLimitWaitMs: status.rate_limit_wait_ms,
      violations: 0,
    });
  }, 480_000);
});
