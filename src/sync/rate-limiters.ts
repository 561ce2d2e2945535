import type pg from 'pg';
import type { RateLimit } from '../domain/syncs/events.ts';
import type { Logger } from '../logger.ts';
import { RateLimiter } from './http/rate-limiter.ts';
import { SharedRateLimiter } from './http/shared-rate-limiter.ts';
import { unguardedPool } from './leases/guarded-context.ts';

interface Entry {
  settings: string;
  limiter: RateLimiter;
}

/**
 * The rate limiter of each sync in this process, shared by the sync's runner and its mutations
 * so that together they stay within the sync's `rate_limit`. A limiter outlives runs (a restarted
 * runner keeps counting the requests still in flight); new settings give the sync a fresh one.
 *
 * On a PostgreSQL database that several processes may share (`share(pool, …)`, done at start
 * when `DATABASE_URL` is set), the limiters of that database's syncs keep their log in the
 * database (`SharedRateLimiter`), so the limit holds across instances and across a takeover.
 * With the embedded database (one process) the in-process limiter is the whole limiter.
 */
export class RateLimiterRegistry {
  private readonly bySync = new Map<string, Entry>();
  private readonly shared = new WeakMap<pg.Pool, { instanceId: string; logger: Logger; bySync: Map<string, Entry> }>();

  share(pool: pg.Pool, options: { instanceId: string; logger: Logger }): void {
    this.shared.set(pool, { ...options, bySync: new Map() });
  }

  unshare(pool: pg.Pool): void {
    this.shared.delete(pool);
  }

  /** `pool`: the database of the caller (`ctx.pool`); its limiters are shared when `share` was called for it. */
  forSync(syncId: string, limit: RateLimit, callerPool?: pg.Pool): RateLimiter {
    const pool = callerPool ? unguardedPool(callerPool) : undefined;
    const shared = pool ? this.shared.get(pool) : undefined;
    const registry = shared?.bySync ?? this.bySync;
    const settings = `${limit.allowedRequests}/${limit.intervalSeconds}s/${limit.maxConcurrentRequests}`;
    const current = registry.get(syncId);
    if (current?.settings === settings) return current.limiter;
    const limiter =
      shared && pool ? new SharedRateLimiter(limit, { pool, syncId, instanceId: shared.instanceId, logger: shared.logger }) : new RateLimiter(limit);
    registry.set(syncId, { settings, limiter });
    return limiter;
  }
}

/** Per process: every runner and mutation of a sync in this process takes its slots here. */
export const rateLimiters = new RateLimiterRegistry();
