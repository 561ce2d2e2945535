import Stripe from 'stripe';
import { UpstreamAuthError, UpstreamRequestError, type ProviderContext } from '../provider.ts';

const DEFAULT_API_BASE_URL = 'https://api.stripe.com';

/**
 * How long one call may go without an answer before it is abandoned (the SDK's default is 80 s,
 * during which a stalled request held its collection with nothing in the sync's status). The
 * time counts from the call into the engine's fetch, so a rate-limit wait counts too.
 */
export const STRIPE_REQUEST_TIMEOUT_MS = 30_000;

/** A call that got no answer in time; the sync step fails with it (logged, shown as the sync's last_error) and is retried. */
export class StripeTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Stripe did not answer within ${timeoutMs / 1000} s; the request was abandoned and will be retried`);
    this.name = 'StripeTimeoutError';
  }
}

/** The official SDK, sending every request through the engine's rate-limited fetch. */
export function createStripeClient({ credential, fetch }: ProviderContext, timeoutMs = STRIPE_REQUEST_TIMEOUT_MS): Stripe {
  if (!credential.accessToken) throw new UpstreamAuthError('the credential has no Stripe secret key', 401);
  const base = new URL(credential.apiBaseUrl ?? DEFAULT_API_BASE_URL);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(credential.accessToken, {
    host: base.hostname,
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    httpClient: Stripe.createFetchHttpClient(fetch),
    // Retries, backoff and rate limiting belong to the engine's fetch.
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    telemetry: false,
    appInfo: { name: 'Syncline' },
  });
}

/** Maps the SDK's errors onto the engine's: auth failures stop the sync, request errors reach the caller. */
export async function callStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
      throw new UpstreamAuthError(error.message, error.statusCode ?? 401);
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripeIdempotencyError || error instanceof Stripe.errors.StripeCardError) {
      throw new UpstreamRequestError(error.message, error.statusCode ?? 400, error.code ?? error.type);
    }
    if (error instanceof Stripe.errors.StripeConnectionError && (error.detail as { code?: string } | undefined)?.code === 'ETIMEDOUT') {
      throw new StripeTimeoutError(timeoutOf(error) ?? STRIPE_REQUEST_TIMEOUT_MS);
    }
    // 5xx and 429 answers the engine's fetch already retried: final, with their status.
    if ((error instanceof Stripe.errors.StripeAPIError || error instanceof Stripe.errors.StripeRateLimitError) && error.statusCode) {
      throw new UpstreamRequestError(error.message, error.statusCode, error.code ?? error.type);
    }
    throw error;
  }
}

/** The SDK says the timeout in its message only: "… timeout being reached (30000ms)". */
function timeoutOf(error: Error): number | null {
  const ms = Number(/\((\d+)ms\)/.exec(error.message)?.[1]);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}
