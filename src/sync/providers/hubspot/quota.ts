/** How long to hold the sync when HubSpot's rate-limit headers say the quota is used up. */

/** The daily quota resets at midnight in the account's time zone, which answers do not tell: look again every minute. */
const DAILY_RECHECK_MS = 60_000;

export function hubspotQuotaPauseMs(headers: Headers): number | null {
  if (headers.get('x-hubspot-ratelimit-daily-remaining') === '0') return DAILY_RECHECK_MS;
  if (headers.get('x-hubspot-ratelimit-remaining') !== '0') return null;
  // A rolling window: the oldest request leaves it within one interval at the latest.
  const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds'));
  return Number.isFinite(interval) && interval > 0 ? Math.min(interval, 60_000) : 1000;
}
