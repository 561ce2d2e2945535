/** Requests kept free of the account's per-minute limit, so requests already in flight do not earn a 429. */
const HEADROOM = 2;

/**
 * `X-Rate-Limit: 700` / `X-Rate-Limit-Remaining: 1` (and `ratelimit-reset: <seconds>` where
 * Zendesk sends it): when the minute's allowance is nearly spent, hold the sync's next request
 * until the window resets (or a slot's share of the minute when the reset is not given).
 */
export function zendeskQuotaPauseMs(headers: Headers): number | null {
  const limit = Number(headers.get('x-rate-limit') ?? headers.get('ratelimit-limit') ?? NaN);
  const remaining = Number(headers.get('x-rate-limit-remaining') ?? headers.get('ratelimit-remaining') ?? NaN);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || limit <= 0 || remaining > HEADROOM) return null;
  const reset = Number(headers.get('ratelimit-reset') ?? NaN);
  if (Number.isFinite(reset) && reset >= 0) return Math.max(250, Math.min(60, reset) * 1000);
  return Math.ceil((60_000 / limit) * (HEADROOM - remaining + 1));
}
