import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { RateLimit } from '../../domain/syncs/events.ts';
import type { Logger } from '../../logger.ts';
import { RateLimiter, type Release } from './rate-limiter.ts';

/** How often a request blocked by another instance's open request asks again (no signal crosses processes). */
const BLOCKED_RECHECK_MS = 100;
/** Longest sleep before asking again (an upstream pause set by another instance may end sooner). */
const MAX_SLEEP_MS = 1_000;
const FINISH_ATTEMPTS = 3;

export interface SharedLimiterOptions {
  pool: pg.Pool;
  /** This process (syncline_instances): slots it leaves open when it dies count as ended at its expiry. */
  instanceId: string;
  syncId: string;
  logger: Logger;
}

/**
 * The sync's rate limit shared by every Syncline process on one PostgreSQL database: the same
 * sliding log as `RateLimiter`, kept in `sync_request_slots` and taken under an advisory lock per
 * sync (`syncline_take_request_slot`, migration 0020), so that the runner of the sync and the
 * mutations made through any instance together stay within `rate_limit`, and a runner taking
 * over after a crash still counts the requests of the instance that died.
 *
 * In front of it, the in-process limiter (this class's parent) orders this process's own
 * requests and wakes them on local releases, so the database is asked once per request (plus
 * once to stamp its answer) unless other instances hold the slots. Slots are stamped with the
 * database's clock when the answer is in (after it arrived: later is the safe side).
 */
export class SharedRateLimiter extends RateLimiter {
  private readonly sharedWindowMs: number;

  constructor(
    private readonly rateLimit: RateLimit,
    private readonly shared: SharedLimiterOptions,
  ) {
    super(rateLimit);
    this.sharedWindowMs = rateLimit.intervalSeconds * 1000;
  }

  override async acquire(signal?: AbortSignal): Promise<Release> {
    const releaseLocal = await super.acquire(signal);
    let slot: string;
    try {
      slot = await this.takeSharedSlot(signal);
    } catch (error) {
      releaseLocal();
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The local slot is freed once the shared one is stamped, so this process's next request
      // does not find its own previous one still open.
      void this.finish(slot).finally(releaseLocal);
    };
  }

  override pauseFor(ms: number): void {
    super.pauseFor(ms);
    this.shared.pool
      .query(
        `INSERT INTO sync_rate_limit_state (sync_id, paused_until) VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
         ON CONFLICT (sync_id) DO UPDATE SET paused_until = GREATEST(sync_rate_limit_state.paused_until, EXCLUDED.paused_until)`,
        [this.shared.syncId, Math.ceil(ms)],
      )
      .catch((error: unknown) => this.shared.logger.warn({ err: error, syncId: this.shared.syncId }, 'could not share an upstream pause'));
  }

  private async takeSharedSlot(signal?: AbortSignal): Promise<string> {
    let waiting = false;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const { rows } = await this.shared.pool.query<{ slot_id: string | null; wait_ms: number }>(
          'SELECT slot_id, wait_ms FROM syncline_take_request_slot($1, $2, $3, $4, $5)',
          [this.shared.syncId, this.shared.instanceId, this.rateLimit.allowedRequests, this.sharedWindowMs, this.rateLimit.maxConcurrentRequests],
        );
        const row = rows[0];
        if (row?.slot_id != null) return row.slot_id;
        if (!waiting) {
          waiting = true;
          this.startWaiting();
        }
        const waitMs = row && row.wait_ms >= 0 ? Math.min(MAX_SLEEP_MS, Math.ceil(row.wait_ms)) : BLOCKED_RECHECK_MS;
        await sleep(waitMs, undefined, signal ? { signal } : {});
      }
    } finally {
      if (waiting) this.stopWaiting();
    }
  }

  private async finish(slot: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.shared.pool.query('UPDATE sync_request_slots SET finished_at = clock_timestamp() WHERE id = $1', [slot]);
        return;
      } catch (error) {
        // Unstamped, the slot stays open (counted in flight) until this instance's row expires.
        if (attempt >= FINISH_ATTEMPTS) {
          this.shared.logger.warn({ err: error, syncId: this.shared.syncId }, 'could not stamp a request slot');
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }
}
