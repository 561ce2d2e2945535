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
/** At most this many slots taken in one call, and at most a tenth of the limit (SharedRateLimiter). */
const MAX_SLOTS_PER_TAKE = 10;
/** A slot taken ahead and not used within this long is stamped as ended instead (so is a pause elsewhere noticed). */
const RESERVED_SLOT_MS = 250;
/** Answers' stamps not carried by a take are written within this long. */
const STAMP_FLUSH_MS = 200;

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
 * sync (`syncline_take_request_slots`, prisma/functions/), so that the runner of the sync and the
 * mutations made through any instance together stay within `rate_limit`, and a runner taking
 * over after a crash still counts the requests of the instance that died.
 *
 * In front of it, the in-process limiter (this class's parent) orders this process's own
 * requests and wakes them on local releases, so the database is asked once per request (plus
 * once to stamp its answer) unless other instances hold the slots. Slots are stamped with the
 * database's clock when the answer is in (after it arrived: later is the safe side).
 *
 * Without a concurrency limit (`max_concurrent_requests` 0, the default), slots are taken up to
 * ten at a time (at most a tenth of `allowed_requests`, `syncline_take_request_slots`): each is
 * counted in the window from the moment it is taken, in flight until stamped, so the limit holds
 * exactly as if they had been taken one by one, only earlier. Answers' stamps are carried by the
 * next take or written together within STAMP_FLUSH_MS (later: the safe side again). A slot not
 * used within RESERVED_SLOT_MS is stamped unused, so an upstream pause set by another instance
 * is seen by this one's next take, at most that long later. A backfill then costs one database
 * statement per ten upstream requests instead of two per request.
 */
export class SharedRateLimiter extends RateLimiter {
  private readonly sharedWindowMs: number;
  /** Slots to take per call (1: one per request, stamped at once). */
  private readonly slotsPerTake: number;
  /** Slots taken ahead and not used yet, with when they were taken (performance.now()). */
  private reserved: Array<{ slot: string; takenAt: number }> = [];
  /** Slots whose answers are in, to stamp. */
  private unstamped: string[] = [];
  private stampTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly rateLimit: RateLimit,
    private readonly shared: SharedLimiterOptions,
  ) {
    super(rateLimit);
    this.sharedWindowMs = rateLimit.intervalSeconds * 1000;
    this.slotsPerTake = rateLimit.maxConcurrentRequests > 0 ? 1 : Math.max(1, Math.min(MAX_SLOTS_PER_TAKE, Math.floor(rateLimit.allowedRequests / 10)));
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
    if (this.slotsPerTake > 1) {
      return () => {
        if (released) return;
        released = true;
        // No concurrency limit: nothing waits for the stamp but the window, where later is safe.
        this.unstamped.push(slot);
        this.scheduleStamps();
        releaseLocal();
      };
    }
    return () => {
      if (released) return;
      released = true;
      // The local slot is freed once the shared one is stamped, so this process's next request
      // does not find its own previous one still open.
      void this.finish(slot).finally(releaseLocal);
    };
  }

  /** A slot taken ahead, fresh enough to use; older ones are stamped unused. */
  private takeReserved(): string | null {
    const now = performance.now();
    while (this.reserved.length > 0) {
      const next = this.reserved.shift()!;
      if (now - next.takenAt < RESERVED_SLOT_MS) return next.slot;
      this.unstamped.push(next.slot);
      this.scheduleStamps();
    }
    return null;
  }

  private scheduleStamps(): void {
    if (this.stampTimer) return;
    this.stampTimer = setTimeout(() => {
      this.stampTimer = null;
      void this.flushStamps();
    }, STAMP_FLUSH_MS);
    this.stampTimer.unref();
  }

  /** Writes the pending stamps, and those of slots taken ahead that are too old to use. */
  private async flushStamps(): Promise<void> {
    const now = performance.now();
    const stale = this.reserved.filter((r) => now - r.takenAt >= RESERVED_SLOT_MS);
    if (stale.length > 0) this.reserved = this.reserved.filter((r) => now - r.takenAt < RESERVED_SLOT_MS);
    const slots = [...this.unstamped, ...stale.map((r) => r.slot)];
    this.unstamped = [];
    if (this.reserved.length > 0) this.scheduleStamps();
    if (slots.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.shared.pool.query('UPDATE sync_request_slots SET finished_at = clock_timestamp() WHERE id = ANY($1::bigint[]) AND finished_at IS NULL', [slots]);
        return;
      } catch (error) {
        // Unstamped, the slots stay open (counted in flight) until this instance's row expires.
        if (attempt >= FINISH_ATTEMPTS) {
          this.shared.logger.warn({ err: error, syncId: this.shared.syncId }, 'could not stamp request slots');
          return;
        }
        await sleep(200 * attempt);
      }
    }
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
        const ahead = this.takeReserved();
        if (ahead !== null) return ahead;
        // The pending stamps travel with the take; put back if it fails.
        const stamps = this.unstamped;
        this.unstamped = [];
        let rows: Array<{ slot_ids: string[] | null; wait_ms: number }>;
        try {
          ({ rows } = await this.shared.pool.query<{ slot_ids: string[] | null; wait_ms: number }>(
            'SELECT slot_ids::text[] AS slot_ids, wait_ms FROM syncline_take_request_slots($1, $2, $3, $4, $5, $6, $7::bigint[])',
            [this.shared.syncId, this.shared.instanceId, this.rateLimit.allowedRequests, this.sharedWindowMs, this.rateLimit.maxConcurrentRequests, this.slotsPerTake, stamps],
          ));
        } catch (error) {
          this.unstamped.push(...stamps);
          if (stamps.length > 0) this.scheduleStamps();
          throw error;
        }
        const row = rows[0];
        const [slot, ...more] = row?.slot_ids ?? [];
        if (slot !== undefined) {
          const takenAt = performance.now();
          this.reserved.push(...more.map((s) => ({ slot: s, takenAt })));
          if (more.length > 0) this.scheduleStamps();
          return slot;
        }
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
