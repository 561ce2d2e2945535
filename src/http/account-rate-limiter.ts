/**
 * API requests per second per account: a token bucket per account that holds `burstSeconds`
 * worth of requests and refills at `perSecond`. In this process only: several instances behind
 * a load balancer each allow the rate (docs/API.md). The map of buckets is bounded: past
 * `maxAccounts`, buckets that have refilled (forgetting them changes nothing) go first, then
 * the longest untouched.
 */
export class AccountRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    options: { burstSeconds?: number; maxAccounts?: number; now?: () => number } = {},
  ) {
    this.capacity = Math.max(1, perSecond * (options.burstSeconds ?? 2));
    this.maxAccounts = options.maxAccounts ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  private readonly maxAccounts: number;
  private readonly now: () => number;

  /** Takes one request from the account's bucket: null when admitted, else whole seconds until one is available. */
  take(accountId: string): number | null {
    const now = this.now();
    let bucket = this.buckets.get(accountId);
    if (bucket) {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
      // Most recently used last: eviction takes from the front.
      this.buckets.delete(accountId);
    } else {
      if (this.buckets.size >= this.maxAccounts) this.evict(now);
      bucket = { tokens: this.capacity, at: now };
    }
    this.buckets.set(accountId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  get trackedAccounts(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    for (const [accountId, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.capacity) this.buckets.delete(accountId);
    }
    while (this.buckets.size >= this.maxAccounts) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
