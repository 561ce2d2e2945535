/**
 * GitHub answers an exceeded rate limit with 403 as often as with 429 (docs: "Rate limits for the
 * REST API"): the primary limit with `x-ratelimit-remaining: 0` (and `x-ratelimit-reset`, epoch
 * seconds), secondary limits with `retry-after` and/or a message saying "secondary rate limit".
 * Any other 403 is a permission refusal. A secondary limit without `retry-after` (or an exhausted
 * primary quota) asks for "at least one minute" before the next request.
 */
const SECONDARY_LIMIT_WAIT_MS = 60_000;

export function isGitHubRateLimited(answer: { status: number; headers: Headers; body: string }): boolean | number {
  if (answer.status !== 403 && answer.status !== 429) return false;
  if (answer.headers.get('x-ratelimit-remaining') === '0') return true; // the engine waits for x-ratelimit-reset
  if (answer.headers.has('retry-after')) return true; // the engine honours it
  return /secondary rate limit|rate limit exceeded|abuse detection/i.test(answer.body) ? SECONDARY_LIMIT_WAIT_MS : false;
}
