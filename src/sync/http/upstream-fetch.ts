import { setTimeout as sleep } from 'node:timers/promises';
import { EgressRefusedError } from '../../errors.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { DEFAULT_MAX_UPSTREAM_BODY_BYTES, limitResponseBody } from './bounded-body.ts';
import type { UpstreamActivity } from './upstream-activity.ts';
import { inSpan, SpanKind, type Span } from '../../tracing.ts';
import { currentCollection } from '../in-flight.ts';

export type UpstreamFetchEvent =
  | { type: 'rate_limited'; status: number; waitMs: number; url: string }
  | { type: 'retry'; reason: string; attempt: number; waitMs: number; url: string };

export interface UpstreamFetchOptions {
  limiter: RateLimiter;
  /** Aborts every request (and every wait) of the sync run. */
  signal: AbortSignal;
  onEvent?: (event: UpstreamFetchEvent) => void;
  /** Attempts for 5xx and network errors before the last answer/error is handed back. */
  maxAttempts?: number;
  /**
   * How long one attempt may go without its answer (headers and body) before it is abandoned as
   * a network failure (retried when safe). Rate-limit waits do not count. Default 30 s.
   */
  attemptTimeoutMs?: number;
  /** Attempts for 429 answers (they also pause the whole sync). */
  maxRateLimitedAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  fetch?: typeof globalThis.fetch;
  /**
   * The provider's word on 403 and 429 answers (GitHub's 403 with `X-RateLimit-Remaining: 0`,
   * Salesforce's 403 `REQUEST_LIMIT_EXCEEDED`): true (or a minimum wait in ms, e.g. GitHub's
   * "at least a minute" for secondary limits without `Retry-After`) makes a 403 count as a 429.
   * A 429 is always a rate limit; `body` is the answer's text.
   */
  isRateLimited?: RateLimitedAnswerCheck;
  /**
   * The provider's reading of its own quota headers (HubSpot's remaining count, Jira's and
   * Zendesk's near-limit headers): ms to hold every request of the sync before the next one, or null. Shopify's
   * GraphQL cost is in the answer's body, so its provider paces itself (docs/providers/shopify.md).
   */
  quotaPauseMs?: QuotaPauseReader;
  /** Largest answer body read (`SYNCLINE_MAX_UPSTREAM_BODY_BYTES`); over it: UpstreamBodyTooLargeError, not retried. */
  maxBodyBytes?: number;
  /** Told of every request in flight and every wait, as they start and end (the sync's status shows them). */
  activity?: UpstreamActivity;
  /** The provider's name, on each request's span (docs/OPERATIONS.md "Traces"). */
  provider?: string;
}

export type QuotaPauseReader = (headers: Headers) => number | null;

export type RateLimitedAnswerCheck = (answer: { status: number; headers: Headers; body: string }) => boolean | number;

const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** An attempt that got no (whole) answer within `attemptTimeoutMs`. */
export class UpstreamTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`no answer from ${new URL(url).origin} within ${timeoutMs / 1000} s (${new URL(url).pathname})`);
    this.name = 'UpstreamTimeoutError';
  }
}

/**
 * The only way providers reach the network: every request takes a rate-limiter slot, 429s pause
 * the whole sync (for `Retry-After` when given, else a jittered backoff), and 5xx / network
 * errors are retried with jittered exponential backoff when the request is safe to repeat.
 * Other answers (including 401/403) are handed back untouched for the provider to interpret.
 */
/** How long one upstream attempt may take before it is abandoned and retried (rate-limit waits excluded). */
export const UPSTREAM_ATTEMPT_TIMEOUT_MS = 30_000;

export function createUpstreamFetch(options: UpstreamFetchOptions): typeof globalThis.fetch {
  const {
    limiter,
    signal,
    onEvent: tell = () => undefined,
    maxAttempts = 6,
    maxRateLimitedAttempts = 12,
    baseDelayMs = 500,
    maxDelayMs = 30_000,
    attemptTimeoutMs = UPSTREAM_ATTEMPT_TIMEOUT_MS,
    fetch: send = globalThis.fetch,
    isRateLimited,
    quotaPauseMs,
    maxBodyBytes = DEFAULT_MAX_UPSTREAM_BODY_BYTES,
    activity,
    provider,
  } = options;

  const backoff = (attempt: number) => Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);

  // One span per request, its retries and waits included: what was asked, of whom, and how it went.
  return function upstreamFetch(input, init) {
    const spanOptions = () => {
      const url = new URL(requestUrl(input));
      const attributes = {
        'http.request.method': (init?.method ?? 'GET').toUpperCase(),
        'server.address': url.hostname,
        'url.path': url.pathname, // no query: it may carry secrets
        'syncline.provider': provider ?? '',
        'syncline.collection': currentCollection() ?? '',
      };
      return { kind: SpanKind.CLIENT, attributes };
    };
    return inSpan('syncline.upstream.request', spanOptions, (span) => attempts(input, init, span));
  };

  async function attempts(input: string | URL | Request, init: RequestInit | undefined, span: Span): Promise<Response> {
    const url = requestUrl(input);
    const retryable = isSafeToRepeat(init);
    const requestSignal = init?.signal ? AbortSignal.any([signal, init.signal]) : signal;
    let failures = 0;
    let rateLimited = 0;
    let slotWaitMs = 0;
    const request = `${(init?.method ?? 'GET').toUpperCase()} ${new URL(url).pathname}`;
    const onEvent = (event: UpstreamFetchEvent) => {
      const { url: _url, ...fields } = event;
      span.addEvent(event.type, fields);
      tell(event);
    };
    for (;;) {
      const asked = performance.now();
      const release = await tracked(activity?.waiting('rate_limit', null), limiter.acquire(requestSignal));
      slotWaitMs += performance.now() - asked;
      span.setAttributes({ 'syncline.upstream.attempts': failures + rateLimited + 1, 'syncline.upstream.rate_limit_wait_ms': Math.round(slotWaitMs) });
      // The attempt's own clock starts once it has its slot; it also bounds reading the body.
      const attemptSignal = AbortSignal.any([requestSignal, timeoutSignal(attemptTimeoutMs)]);
      let response: Response;
      try {
        response = await tracked(activity?.request(request), send(input, { ...init, signal: attemptSignal }));
      } catch (thrown) {
        release();
        const error = !requestSignal.aborted && attemptSignal.aborted ? new UpstreamTimeoutError(url, attemptTimeoutMs) : thrown;
        failures++;
        // A refused address stays refused: no retry.
        if (requestSignal.aborted || !retryable || failures >= maxAttempts || error instanceof EgressRefusedError) throw error;
        const waitMs = backoff(failures);
        onEvent({ type: 'retry', reason: (error as Error).message, attempt: failures, waitMs, url });
        await tracked(activity?.waiting('backoff', waitMs), sleep(waitMs, undefined, { signal: requestSignal }));
        continue;
      }
      release();
      response = limitResponseBody(response, maxBodyBytes, request);
      pauseOnExhaustedQuota(limiter, response.headers);
      const providerPause = quotaPauseMs?.(response.headers);
      if (providerPause && providerPause > 0) limiter.pauseFor(Math.min(MAX_RETRY_AFTER_MS, providerPause));

      const verdict =
        (response.status === 403 || response.status === 429) && isRateLimited
          ? isRateLimited({ status: response.status, headers: response.headers, body: await response.clone().text() })
          : false;
      const slowDown = response.status === 429 || verdict !== false;
      if (slowDown && ++rateLimited < maxRateLimitedAttempts) {
        const minimumMs = typeof verdict === 'number' ? Math.min(MAX_RETRY_AFTER_MS, verdict) : 0;
        const waitMs = Math.max(minimumMs, retryAfterMs(response.headers) ?? backoff(rateLimited));
        limiter.pauseFor(waitMs);
        onEvent({ type: 'rate_limited', status: response.status, waitMs, url });
        await response.body?.cancel();
        continue;
      }
      if (response.status >= 500 && retryable && ++failures < maxAttempts) {
        const waitMs = retryAfterMs(response.headers) ?? backoff(failures);
        onEvent({ type: 'retry', reason: `HTTP ${response.status}`, attempt: failures, waitMs, url });
        await response.body?.cancel();
        await tracked(activity?.waiting('backoff', waitMs), sleep(waitMs, undefined, { signal: requestSignal }));
        continue;
      }
      span.setAttribute('http.response.status_code', response.status);
      return response;
    }
  }
}

/** `work`, with `done` (an activity's end) called however it settles. */
async function tracked<T>(done: (() => void) | undefined, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    done?.();
  }
}

/**
 * A signal that aborts after `ms`, like `AbortSignal.timeout`, but kept alive by its own timer.
 * Node 20's `AbortSignal.any` holds its sources weakly, and nothing else holds an
 * `AbortSignal.timeout` signal: a garbage collection before it fires loses it, and a request
 * that is never answered then hangs for ever (seen in the reliability suite's upstream-faults
 * part: a collection never started; `node --expose-gc` reproduces it at once).
 */
function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms).unref();
  return controller.signal;
}

function requestUrl(input: string | URL | Request): string {
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}

/**
 * Marks a request that changes nothing upstream although its method is POST (HubSpot's search,
 * GraphQL queries), so 5xx and network errors retry it like a GET. A symbol key: object spreads
 * keep it through wrapping fetches, and `fetch` itself ignores it.
 */
export const READ_ONLY_REQUEST = Symbol.for('syncline.readOnlyRequest');

export function readOnly(init: RequestInit): RequestInit {
  return Object.assign(init, { [READ_ONLY_REQUEST]: true });
}

/** Reads and writes that the upstream deduplicates (idempotency key) can be sent again. */
function isSafeToRepeat(init: RequestInit | undefined): boolean {
  const method = (init?.method ?? 'GET').toUpperCase();
  const body = init?.body;
  const replayableBody = body == null || typeof body === 'string' || body instanceof URLSearchParams || body instanceof Uint8Array;
  if (!replayableBody) return false;
  if (['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method)) return true;
  if (init && (init as { [READ_ONLY_REQUEST]?: boolean })[READ_ONLY_REQUEST] === true) return true;
  return new Headers(init?.headers).has('idempotency-key');
}

/** `Retry-After` as seconds or an HTTP date, capped so a bogus header cannot stall a sync for days. */
export function retryAfterMs(headers: Headers): number | null {
  const value = headers.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  if (!Number.isFinite(ms)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/**
 * `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` (epoch seconds, or seconds from now when
 * small) means the next request would be refused: pause until the reset instead of earning a 429.
 */
function pauseOnExhaustedQuota(limiter: RateLimiter, headers: Headers): void {
  if (headers.get('x-ratelimit-remaining') !== '0') return;
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (!Number.isFinite(reset) || reset <= 0) return;
  const ms = reset > 1e9 ? reset * 1000 - Date.now() : reset * 1000;
  if (ms > 0) limiter.pauseFor(Math.min(MAX_RETRY_AFTER_MS, ms));
}
