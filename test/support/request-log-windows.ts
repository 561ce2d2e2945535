/** Upstream-side checks of a request log: the rate limit as the upstream sees it.

/** The largest number of request starts inside any window of `windowMs`. */
export function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

/** The largest number of requests open at once, each open from `startedAt` to `endedAt`. */
export function maxConcurrent(log: { startedAt: number; endedAt: number }[]): number {
  const edges = log.flatMap((e) => [
    { at: e.startedAt, delta: 1 },
    { at: e.endedAt, delta: -1 },
  ]);
  // Ends before starts at the same instant: a request that finished does not overlap the next.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let max = 0;
  for (const edge of edges) {
    current += edge.delta;
    max = Math.max(max, current);
  }
  return max;
}
