/**
 * GitHub answers an exceeded rate limit with 403 as often as with 429 (docs: "Rate limits for the
 * REST API"): the primary limit with `x-ratelimit-remaining: 0` (and `x-ratelimit-reset`, epoch
 * seconds), secondary limits with `retry-after` and/or a message saying "secondary rate limit".
 * Any other 403 is a permission refusal.
 */
export function isGitHubRateLimited(answer: { status: number; headers: Headers; body: string }): boolean {
  if (answer.status !== 403 && answer.status !== 429) return false;
  if (answer.headers.get('x-ratelimit-remaining') === '0') return true;
  if (answer.headers.has('retry-after')) return true;
  return /secondary rate limit|rate limit exceeded|abuse detection/i.test(answer.body);
}
