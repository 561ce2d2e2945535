import type { RateLimit } from '../../domain/syncs/events.ts';

/** Releases a slot taken with `acquire`; call it once the response (or the error) is in. */
export type Release = () => void;

export interface RateLimiterStats {
  requestsMade: number;
  /** Wall-clock ms during which at least one request was waiting for a slot or an upstream pause. */
  waitMs: number;
}

/**
 * A sliding-log limiter: at most `allowedRequests` per `intervalSeconds` and at most
 * `maxConcurrentRequests` in flight (0 = unlimited), shared by every collection of a sync.
 *
 * A request's entry in the log is stamped when its answer arrives, not when it leaves: the
 * upstream sees a request somewhere between the two, so stamping the end is what guarantees the
 * upstream never counts more than `allowedRequests` in any window, whatever the network latency.
 * Requests still in flight count as "now" for the window.
 */
export class RateLimiter {
  private readonly windowMs: number;
  private readonly finished: number[] = [];
  private inFlight = 0;
  private pausedUntil = 0;
  private waiters: Array<() => void> = [];
  private requestsMade = 0;
  private waiting = 0;
  private waitStartedAt = 0;
  private waitMs = 0;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.windowMs = limit.intervalSeconds * 1000;
  }

  /** Waits for a slot (honouring any upstream-requested pause) and takes it. */
  async acquire(signal?: AbortSignal): Promise<Release> {
    this.startWaiting();
    try {
      for (;;) {
        signal?.throwIfAborted();
        const delay = this.delayBeforeNextSlot();
        if (delay === 0) break;
        await this.waitFor(delay, signal);
      }
    } finally {
      this.stopWaiting();
    }
    this.inFlight++;
    this.requestsMade++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.finished.push(this.now());
      this.wakeAll();
    };
  }

  /** Stops every request of the sync until `ms` from now (an upstream 429 with Retry-After). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  stats(): RateLimiterStats {
    const openWait = this.waiting > 0 ? this.now() - this.waitStartedAt : 0;
    return { requestsMade: this.requestsMade, waitMs: this.waitMs + openWait };
  }

  /** 0 when a request may start now; otherwise ms to wait, or Infinity until a release. */
  private delayBeforeNextSlot(): number {
    const now = this.now();
    if (this.pausedUntil > now) return this.pausedUntil - now;
    const { maxConcurrentRequests, allowedRequests } = this.limit;
    if (maxConcurrentRequests > 0 && this.inFlight >= maxConcurrentRequests) return Infinity;
    while (this.finished.length > 0 && this.finished[0]! <= now - this.windowMs) this.finished.shift();
    const used = this.finished.length + this.inFlight;
    if (used < allowedRequests) return 0;
    // The oldest finished entry leaving the window frees a slot; in-flight ones only free on release.
    const overflow = used - allowedRequests;
    if (overflow >= this.finished.length) return Infinity;
    return Math.max(1, this.finished[overflow]! + this.windowMs - now);
  }

  /** Resolves after `ms`, on the next release, or rejects when the run is aborted. */
  private waitFor(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanUp = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const done = () => {
        cleanUp();
        resolve();
      };
      const onAbort = () => {
        cleanUp();
        reject(signal?.reason);
      };
      const timer = ms === Infinity ? null : setTimeout(done, Math.ceil(ms));
      this.waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Wait-time bookkeeping (`stats().waitMs`), also for subclasses that wait elsewhere. */
  protected startWaiting(): void {
    if (this.waiting++ === 0) this.waitStartedAt = this.now();
  }

  protected stopWaiting(): void {
    if (--this.waiting === 0) this.waitMs += this.now() - this.waitStartedAt;
  }
}
