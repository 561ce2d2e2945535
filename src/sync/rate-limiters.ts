import type { RateLimit } from '../domain/syncs/events.ts';
import { RateLimiter } from './http/rate-limiter.ts';

/**
 * The rate limiter of each sync in this process, shared by the sync's runner and its mutations
 * so that together they stay within the sync's `rate_limit`. A limiter outlives runs (a restarted
 * runner keeps counting the requests still in flight); new settings give the sync a fresh one.
 */
export class RateLimiterRegistry {
  private readonly bySync = new Map<string, { settings: string; limiter: RateLimiter }>();

  forSync(syncId: string, limit: RateLimit): RateLimiter {
    const settings = `${limit.allowedRequests}/${limit.intervalSeconds}s/${limit.maxConcurrentRequests}`;
    const current = this.bySync.get(syncId);
    if (current?.settings === settings) return current.limiter;
    const limiter = new RateLimiter(limit);
    this.bySync.set(syncId, { settings, limiter });
    return limiter;
  }
}

/** Per process: every runner and mutation of a sync in this process takes its slots here. */
export const rateLimiters = new RateLimiterRegistry();
