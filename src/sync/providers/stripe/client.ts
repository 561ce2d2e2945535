import Stripe from 'stripe';
import { boundedUpstreamText } from '../http-json.ts';
import { UpstreamAuthError, UpstreamRequestError, type ProviderContext } from '../provider.ts';

const DEFAULT_API_BASE_URL = 'https://api.stripe.com';

/**
 * The Stripe API version every request names (`Stripe-Version`), so records have one shape
 * whatever the account's default version is: the version the SDK's types are generated for
 * (stripe-node pins it, `Stripe.API_VERSION`). Typed as the SDK's own version, so an SDK upgrade
 * that moves it fails `tsc` until this constant and docs/providers/stripe.md follow.
 */
export const STRIPE_API_VERSION: Stripe.LatestApiVersion = '2026-10-28.endive';

/**
 * The SDK's own timer (default 80 s) starts when a call enters the engine's fetch, so it would
 * also count rate-limit waits. Each attempt is timed by the engine's fetch instead
 * (`attemptTimeoutMs`, 30 s, rate-limit waits excluded); this is only a last resort.
 */
export const STRIPE_SDK_TIMEOUT_MS = 60 * 60_000;

/** The official SDK, sending every request through the engine's rate-limited fetch. */
export function createStripeClient({ credential, fetch }: ProviderContext): Stripe {
  if (!credential.accessToken) throw new UpstreamAuthError('the credential has no Stripe secret key', 401);
  const base = new URL(credential.apiBaseUrl ?? DEFAULT_API_BASE_URL);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(credential.accessToken, {
    apiVersion: STRIPE_API_VERSION,
    host: base.hostname,
    port: base.port || (protocol === 'http' ? 80 : 443),
    protocol,
    httpClient: Stripe.createFetchHttpClient(fetch),
    // Retries, backoff and rate limiting belong to the engine's fetch.
    maxNetworkRetries: 0,
    timeout: STRIPE_SDK_TIMEOUT_MS,
    telemetry: false,
    appInfo: { name: 'Syncline' },
  });
}

/**
 * Before each request the SDK writes `new Error().stack`, the call site it adds to its errors'
 * stacks. Under `--enable-source-maps` (how `npm start` runs) writing it maps every frame, a
 * measurable share of a backfill's CPU (docs/BENCHMARKS.md). The errors are mapped onto the engine's below, which never
 * read that call site, so the call's synchronous start captures no frames.
 */
function withoutCallSiteStack<T>(call: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return call();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Maps the SDK's errors onto the engine's: auth failures stop the sync, request errors reach the caller. */
export async function callStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await withoutCallSiteStack(call);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
      throw new UpstreamAuthError(boundedUpstreamText(error.message), error.statusCode ?? 401);
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripeIdempotencyError || error instanceof Stripe.errors.StripeCardError) {
      throw new UpstreamRequestError(boundedUpstreamText(error.message), error.statusCode ?? 400, error.code ?? error.type);
    }
    // The SDK wraps what the engine's fetch threw (e.g. UpstreamTimeoutError) in a generic connection error: hand on the cause.
    if (error instanceof Stripe.errors.StripeConnectionError && error.detail instanceof Error) throw error.detail;
    // 5xx and 429 answers the engine's fetch already retried: final, with their status.
    if ((error instanceof Stripe.errors.StripeAPIError || error instanceof Stripe.errors.StripeRateLimitError) && error.statusCode) {
      throw new UpstreamRequestError(boundedUpstreamText(error.message), error.statusCode, error.code ?? error.type);
    }
    throw error;
  }
}

