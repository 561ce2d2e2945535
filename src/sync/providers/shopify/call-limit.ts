/** Standard plans leak 2 calls per second out of the bucket (Plus: 20/s, where the bucket is larger too). */
const LEAK_MS_PER_CALL = 500;
/** Calls kept free in the bucket so requests already in flight do not overflow it. */
const HEADROOM = 2;

/**
 * `X-Shopify-Shop-Api-Call-Limit: 38/40` is the leaky bucket after this call: when it is nearly
 * full, hold the sync's next request until enough calls have leaked out, instead of earning a 429.
 */
export function callLimitPauseMs(headers: Headers): number | null {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(headers.get('x-shopify-shop-api-call-limit') ?? '');
  if (!match) return null;
  const used = Number(match[1]);
  const limit = Number(match[2]);
  const over = used - (limit - HEADROOM);
  return over >= 0 ? (over + 1) * LEAK_MS_PER_CALL : null;
}
