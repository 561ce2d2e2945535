import ipaddr from 'ipaddr.js';

const WINDOW_MS = 60_000;

/**
 * Failed token checks per client address: after `limitPerMinute` in a minute (a window opened by
 * the address's first failure), the address is refused for the rest of the window without
 * looking its tokens up, except tokens recently seen valid here (`rememberValid`), which are
 * still looked up, so that a client whose token works is not locked out by a flood from its
 * address (a NAT, a proxy, the fuzzer). Memory is bounded: at most `maxAddresses` windows (expired
 * windows go first, then the oldest) and `maxValidTokens` token hashes (least recently used go).
 * IPv6 clients are counted per /64, the block one host usually holds.
 */
export class FailedAuthThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();
  private readonly validTokens = new Map<string, true>();
  private readonly maxAddresses: number;
  private readonly maxValidTokens: number;
  private readonly now: () => number;

  constructor(
    private readonly limitPerMinute: number,
    options: { maxAddresses?: number; maxValidTokens?: number; now?: () => number } = {},
  ) {
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.maxValidTokens = options.maxValidTokens ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Whole seconds the address is still refused for, or null when it is not over its budget. */
  blockedFor(address: string | undefined): number | null {
    const window = this.windows.get(clientKey(address));
    if (!window || window.failures < this.limitPerMinute) return null;
    const left = window.start + WINDOW_MS - this.now();
    return left > 0 ? Math.ceil(left / 1000) : null;
  }

  recordFailure(address: string | undefined): void {
    const key = clientKey(address);
    const now = this.now();
    const window = this.windows.get(key);
    if (window && now - window.start < WINDOW_MS) {
      window.failures++;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= this.maxAddresses) this.evict(now);
    this.windows.set(key, { start: now, failures: 1 });
  }

  rememberValid(tokenHash: string): void {
    this.validTokens.delete(tokenHash);
    this.validTokens.set(tokenHash, true);
    if (this.validTokens.size > this.maxValidTokens) this.validTokens.delete(this.validTokens.keys().next().value!);
  }

  isRecentlyValid(tokenHash: string): boolean {
    return this.validTokens.has(tokenHash);
  }

  get trackedAddresses(): number {
    return this.windows.size;
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= WINDOW_MS) this.windows.delete(key);
    while (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
  }
}

/** The address a client is counted under: IPv4 (also when IPv4-mapped), or an IPv6 /64. */
export function clientKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return address ?? 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${(parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}
