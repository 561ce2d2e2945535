/**
 * A value (an SDK client) built on first use and let go once unused for `idleMs`, then built
 * again on the next use. A polling sync holds its provider session for as long as it runs;
 * this keeps a heavy client out of the heap between polls (the Stripe SDK's is ~45 KB per
 * client, docs/SYNCS.md) while a backfill, which uses it continuously, keeps one. Calls in
 * flight hold their own reference, so letting go never interrupts one.
 */
export class IdleReleased<T extends object> {
  private value: T | null = null;
  private lastUsedAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly create: () => T,
    private readonly idleMs = 2_000,
  ) {}

  get(): T {
    this.lastUsedAt = Date.now();
    if (this.value === null) {
      this.value = this.create();
      this.arm(this.idleMs);
    }
    return this.value;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const idle = Date.now() - this.lastUsedAt;
      if (idle >= this.idleMs) this.value = null;
      else this.arm(this.idleMs - idle);
    }, ms);
    this.timer.unref();
  }
}
