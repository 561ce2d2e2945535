/**
 * An upstream answer's body, counted as it arrives: an answer larger than the limit is refused
 * before it is whole in memory (issue 21: 100 customers with 1 MB fields exhausted the heap in
 * the JSON parse). A declared `Content-Length` over the limit is refused at once, unread.
 *
 * Bodies are also counted against the read budget of the provider call they belong to (an async
 * context, `withReadBudget`): a call that gathers page after page in memory (a listing read
 * whole, an events feed that never ends) is stopped once it read more than the budget.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Default of `SYNCLINE_MAX_UPSTREAM_BODY_BYTES`. */
export const DEFAULT_MAX_UPSTREAM_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Not retried: the same request would be answered as large again. The sync runner puts the sync
 * in `error` (`upstream_answer_too_large`) and stops its run (docs/SYNCS.md).
 */
export class UpstreamBodyTooLargeError extends Error {
  readonly code: string = 'upstream_answer_too_large';

  constructor(
    readonly limitBytes: number,
    /** `METHOD /path`, without the query (it may carry secrets). */
    readonly request: string,
  ) {
    super(`upstream answer exceeds SYNCLINE_MAX_UPSTREAM_BODY_BYTES (${limitBytes} bytes): ${request}`);
    this.name = 'UpstreamBodyTooLargeError';
  }
}

/** A provider call read more than `SYNCLINE_MAX_UPSTREAM_STEP_BYTES` in all its answers: not retried either. */
export class UpstreamReadBudgetError extends UpstreamBodyTooLargeError {
  override readonly code: string = 'upstream_step_too_large';

  constructor(limitBytes: number, request: string) {
    super(limitBytes, request);
    this.message = `upstream answers of one sync step exceed SYNCLINE_MAX_UPSTREAM_STEP_BYTES (${limitBytes} bytes), which the step would hold in memory: ${request}`;
    this.name = 'UpstreamReadBudgetError';
  }
}

interface ReadBudget {
  limitBytes: number;
  read: number;
}

const budgets = new AsyncLocalStorage<ReadBudget>();

/** Runs `work` (one provider call) with its own read budget: its answers together may not exceed `limitBytes`. */
export function withReadBudget<T>(limitBytes: number, work: () => Promise<T>): Promise<T> {
  return budgets.run({ limitBytes, read: 0 }, work);
}

/** `withReadBudget`, also telling how many body bytes the call read. */
export async function measuredRead<T>(limitBytes: number, work: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  const budget: ReadBudget = { limitBytes, read: 0 };
  const value = await budgets.run(budget, work);
  return { value, bytes: budget.read };
}

/** Runs `work` with a fresh budget of the same size (a call that keeps only its last page). */
export function withFreshReadBudget<T>(work: () => Promise<T>): Promise<T> {
  const current = budgets.getStore();
  return current ? withReadBudget(current.limitBytes, work) : work();
}

/** Statuses whose Response cannot carry a body (the constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * `response` with a body that errors with UpstreamBodyTooLargeError once more than `limitBytes`
 * arrived (the upstream connection is then cancelled). Throws at once when the declared
 * `Content-Length` is over the limit.
 */
export function limitResponseBody(response: Response, limitBytes: number, request: string): Response {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    response.body?.cancel().catch(() => undefined);
    throw new UpstreamBodyTooLargeError(limitBytes, request);
  }
  if (!response.body || NULL_BODY_STATUSES.has(response.status)) return response;
  let received = 0;
  const budget = budgets.getStore();
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (budget) budget.read += chunk.byteLength;
      if (received > limitBytes) controller.error(new UpstreamBodyTooLargeError(limitBytes, request));
      else if (budget && budget.read > budget.limitBytes) controller.error(new UpstreamReadBudgetError(budget.limitBytes, request));
      else controller.enqueue(chunk);
    },
  });
  const limited = new Response(response.body.pipeThrough(counter), { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(limited, 'url', { value: response.url });
  return limited;
}

/**
 * The UpstreamBodyTooLargeError behind `error`, however a provider or its SDK wrapped it (`cause`,
 * the Stripe SDK's `detail` and `exception`).
 */
export function bodyTooLargeCause(error: unknown): UpstreamBodyTooLargeError | null {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    if (current instanceof UpstreamBodyTooLargeError) return current;
    seen.add(current);
    const wrapper = current as { cause?: unknown; detail?: unknown; exception?: unknown };
    current = [wrapper.cause, wrapper.detail, wrapper.exception].find((inner) => inner && typeof inner === 'object');
  }
  return null;
}
