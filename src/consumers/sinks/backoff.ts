const BACKOFF_INITIAL_MS = 250;
const BACKOFF_MAX_MS = 15_000;

/** Exponential, jittered (half to all of it), so runners recovering from one outage spread out. */
export function backoffDelay(failures: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(failures, 16));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
