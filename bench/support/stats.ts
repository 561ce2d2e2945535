export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** The median of samples in any order (percentile 50, as the other figures). */
export const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 50);

/**
 * `rounds` measurements of two sides, alternating which goes first (even rounds `a`, odd rounds
 * `b`), so that neither always runs on the warmer process or cache: each round's pair, in order.
 */
export async function alternatingRounds<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T; b: T }[]> {
  const pairs: { a: T; b: T }[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      const first = await a();
      pairs.push({ a: first, b: await b() });
    } else {
      const first = await b();
      pairs.push({ a: await a(), b: first });
    }
  }
  return pairs;
}

export function latencySummary(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, count: sorted.length };
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}
