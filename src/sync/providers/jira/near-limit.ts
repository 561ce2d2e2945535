/** How long the sync holds its next request when Jira says a budget is nearly spent. */
const NEAR_LIMIT_PAUSE_MS = 1_000;

/**
 * `X-RateLimit-NearLimit: true`: less than 20 % of one of the account's cost budgets remains
 * (Jira's rate-limiting guide); slowing down a little avoids the 429 that would stop the sync.
 */
export function nearLimitPauseMs(headers: Headers): number | null {
  return headers.get('x-ratelimit-nearlimit')?.trim().toLowerCase() === 'true' ? NEAR_LIMIT_PAUSE_MS : null;
}
