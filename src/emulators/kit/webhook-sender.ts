/**
 * How every emulator sends its provider's webhooks (issue 24): one POST per delivery, retried on
 * a non-2xx answer, a timeout or a connection error with the delays its provider documents
 * (scaled down: an emulator's tests cannot wait hours), redirects not followed, each attempt
 * logged. The emulator builds the body and signs each attempt (`sign` runs again per attempt:
 * Stripe and Zendesk sign a fresh timestamp every time).
 */

import type { Logger } from 'pino';

/** Where an emulator sends its webhooks: registered through its API, or given on the command line (`--webhook-url`). */
export interface WebhookEndpoint {
  /** The provider's id of the registration (e.g. `we_…`), or `cli` for one given on the command line. */
  id: string;
  url: string;
  /** The secret deliveries to this endpoint are signed with. */
  secret: string;
  /** Provider-specific subscription (event types, topics…): the emulator decides what matches. */
  events: string[];
}

export interface WebhookDeliveryAttempt {
  endpointId: string;
  url: string;
  /** The delivery's own id (the same for all its attempts). */
  deliveryId: string;
  attempt: number;
  /** 0 when no answer came (timeout, refused, reset). */
  status: number;
  error: string | null;
  at: number;
}

export interface WebhookDelivery {
  endpoint: WebhookEndpoint;
  deliveryId: string;
  /** The body, or the body of each attempt (1-based) where the provider numbers its attempts in it (HubSpot's `attemptNumber`). */
  body: string | ((attempt: number) => string);
  /** The headers of one attempt (1-based), signature included. */
  sign(attempt: number, body: string): Record<string, string>;
}

export interface WebhookSenderOptions {
  /** Delays before the 2nd, 3rd… attempts; the delivery is dropped after the last. */
  retryDelaysMs?: readonly number[];
  /**
   * Whether a failed attempt is retried: `status` 0 when no answer came (timeout, refused).
   * Default: every non-2xx answer and every missing one. Providers that retry only some
   * (Jira: 408, 409, 425, 429, 5xx; Zendesk: 409, 429, 503 and timeouts) say so here.
   */
  retryOn?: (status: number) => boolean;
  timeoutMs?: number;
  /** Deliveries in flight at once; the rest wait their turn (a flood of changes opens no flood of sockets). */
  maxConcurrent?: number;
  logger?: Logger;
}

const DEFAULT_RETRY_DELAYS_MS = [250, 1_000, 5_000];
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONCURRENT = 16;
/** Bounds the log an emulator keeps in memory. */
const LOG_LIMIT = 10_000;

export class WebhookSender {
  /** Every attempt, oldest first (the last LOG_LIMIT). */
  readonly attempts: WebhookDeliveryAttempt[] = [];
  private readonly pending = new Set<Promise<void>>();
  /** Deliveries waiting for one of the `maxConcurrent` places. */
  private readonly queued: (() => void)[] = [];
  private active = 0;
  private readonly abort = new AbortController();
  private readonly retryDelaysMs: readonly number[];
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookSenderOptions = {}) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Starts delivering in the background (deliveries are independent: providers do not promise order). */
  send(delivery: WebhookDelivery): void {
    const running = this.inTurn(() => this.deliver(delivery)).finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  private async inTurn(work: () => Promise<void>): Promise<void> {
    if (this.active >= (this.options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT)) await new Promise<void>((resolve) => this.queued.push(resolve));
    this.active++;
    try {
      await work();
    } finally {
      this.active--;
      this.queued.shift()?.();
    }
  }

  /** Resolves once every delivery sent so far succeeded or gave up. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.settled();
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    for (let attempt = 1; attempt <= this.retryDelaysMs.length + 1; attempt++) {
      if (this.abort.signal.aborted) return;
      if (attempt > 1 && !(await this.wait(this.retryDelaysMs[attempt - 2]!))) return;
      const { status, error } = await this.post(delivery, attempt);
      this.log({ endpointId: delivery.endpoint.id, url: delivery.endpoint.url, deliveryId: delivery.deliveryId, attempt, status, error, at: Date.now() });
      if (status >= 200 && status < 300) return;
      this.options.logger?.debug({ deliveryId: delivery.deliveryId, attempt, status, error }, 'webhook delivery failed');
      if (this.options.retryOn && !this.options.retryOn(status)) return;
    }
  }

  private async post(delivery: WebhookDelivery, attempt: number): Promise<{ status: number; error: string | null }> {
    try {
      const body = typeof delivery.body === 'string' ? delivery.body : delivery.body(attempt);
      const answer = await fetch(delivery.endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...delivery.sign(attempt, body) },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      await answer.body?.cancel();
      return { status: answer.status, error: null };
    } catch (error) {
      return { status: 0, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(true), ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }

  private log(entry: WebhookDeliveryAttempt): void {
    this.attempts.push(entry);
    if (this.attempts.length > LOG_LIMIT) this.attempts.splice(0, this.attempts.length - LOG_LIMIT);
  }
}
