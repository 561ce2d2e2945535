import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/sync/http/rate-limiter.ts';

describe('RateLimiter', () => {
  it('never lets more than allowedRequests start in any window nor more than maxConcurrentRequests run', async () => {
    const limiter = new RateLimiter({ allowedRequests: 5, intervalSeconds: 0.2, maxConcurrentRequests: 2 });
    const spans: { start: number; end: number }[] = [];
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const release = await limiter.acquire();
        const start = performance.now();
        await sleep(i % 3 === 0 ? 15 : 2);
        const end = performance.now();
        release();
        spans.push({ start, end });
      }),
    );
    const starts = spans.map((s) => s.start).sort((a, b) => a - b);
    for (let i = 0; i + 5 < starts.length; i++) expect(starts[i + 5]! - starts[i]!).toBeGreaterThanOrEqual(200 - 1);
    for (const span of spans) {
      // Requests running at the instant this one started (itself included).
      const running = spans.filter((o) => o.start <= span.start && o.end > span.start).length;
      expect(running).toBeLessThanOrEqual(2);
    }
    expect(limiter.stats().requestsMade).toBe(24);
    expect(limiter.stats().waitMs).toBeGreaterThan(700); // 24 requests at 5 per 200 ms
  });

  it('holds every request during an upstream-requested pause', async () => {
    const limiter = new RateLimiter({ allowedRequests: 100, intervalSeconds: 1, maxConcurrentRequests: 0 });
    limiter.pauseFor(150);
    const started = performance.now();
    const release = await limiter.acquire();
    release();
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('stops waiting when the run is aborted', async () => {
    const limiter = new RateLimiter({ allowedRequests: 1, intervalSeconds: 60, maxConcurrentRequests: 0 });
    (await limiter.acquire())();
    const abort = new AbortController();
    const waiting = limiter.acquire(abort.signal);
    abort.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});
