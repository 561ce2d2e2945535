/**
 * Writes one webhook consumer's batches (DESIGN.md §7b): `POST url` with `{"data":[record, …]}`
 * (each record as REST answers it, DESIGN.md §2, or for a consumer of change events each event,
 * docs/DELIVERY.md "Change events": its JSON text as PostgreSQL built it, joined, not
 * parsed or serialized again), the consumer's headers, and the Standard
 * Webhooks headers — `webhook-id` (the batch's id: the same for every attempt at it),
 * `webhook-timestamp` (this attempt, unix seconds) and `webhook-signature` (`v1,<base64>`, one
 * per secret: a secret replaced by a rotation signs beside the new one until its grace ends) — and,
 * while tracing is on, `traceparent` (the delivery's span, docs/OPERATIONS.md "Traces").
 *
 * Sent with undici's `request` over the egress Agent (every connection checked against the egress
 * policy after resolution; fetch cost several times as much per request), redirects not followed,
 * within `timeoutMs`. 2xx resolves; 408, 429, 5xx, a timeout
 * and a failed connection are retryable `SinkWriteError`s; any other answer (3xx, 4xx) is a
 * failed attempt (`retryable: false`), which the runner may dead-letter.
 */
import { request, type Dispatcher } from 'undici';
import { EgressRefusedError } from '../../errors.ts';
import { SinkWriteError, type JsonRecord, type SinkBatch, type SinkWriter, type SinkWriteResult } from '../sinks/sink.ts';
import { connectionFailure, readExcerpt, retryAfterMs } from './answer.ts';
import { WebhookSigner } from './signature.ts';
import { currentTraceparent } from '../../tracing.ts';

export interface WebhookTarget {
  url: string;
  /** The consumer's own headers, in clear. */
  headers: Record<string, string>;
  /** `whsec_…` */
  secret: string;
  previousSecret: string | null;
  previousSecretValidUntil: Date | null;
  timeoutMs: number;
}

export interface WebhookWriterOptions {
  /** In the server, the egress Agent (`egressDispatcher`, src/net/egress-fetch.ts). */
  dispatcher: Dispatcher;
  now?: () => Date;
}

const USER_AGENT = 'Syncline-Webhooks/1';

/** `{"data":[…]}` of the records' JSON texts (DESIGN.md §2). */
export function webhookPayload(records: readonly JsonRecord[]): Buffer {
  let body = '{"data":[';
  for (let i = 0; i < records.length; i++) body += (i === 0 ? '' : ',') + records[i]!.json;
  return Buffer.from(`${body}]}`, 'utf8');
}

function refusalOf(error: unknown): EgressRefusedError | null {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
    if (cause instanceof EgressRefusedError) return cause;
  }
  return null;
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * POSTs one signed body to the target: what a webhook consumer's batches and an account's
 * notifications (src/notifications) are both sent with. `id` is the `webhook-id` (the same for
 * every attempt at the same message).
 */
export function signedPoster(target: WebhookTarget, options: WebhookWriterOptions): (id: string, body: Buffer, signal: AbortSignal) => Promise<SinkWriteResult> {
  const now = options.now ?? (() => new Date());
  const host = new URL(target.url).host;
  const signer = new WebhookSigner(target.secret);
  const previousSigner = target.previousSecret === null ? null : new WebhookSigner(target.previousSecret);
  // Theirs first, so the delivery's own headers win should a stored name ever collide.
  const baseHeaders: Record<string, string> = { 'user-agent': USER_AGENT, ...target.headers, 'content-type': 'application/json' };

  function signature(id: string, at: Date, body: Uint8Array): string {
    const seconds = Math.floor(at.getTime() / 1000);
    const signatures = [signer.sign(id, seconds, body)];
    if (previousSigner && target.previousSecretValidUntil && at < target.previousSecretValidUntil) signatures.push(previousSigner.sign(id, seconds, body));
    return signatures.join(' ');
  }

  return async (id: string, body: Buffer, signal: AbortSignal): Promise<SinkWriteResult> => {
    const at = now();
    const traceparent = currentTraceparent();
    const headers = {
      ...baseHeaders,
      ...(traceparent ? { traceparent } : {}),
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature(id, at, body),
    };
    // One controller per attempt, tied to the runner's signal by a listener removed afterwards:
    // nothing of an attempt stays attached to the long-lived signal.
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, target.timeoutMs);
    const stop = () => attempt.abort(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const failed = (error: unknown): SinkWriteError => {
      if (signal.aborted) return new SinkWriteError('delivery stopped', { retryable: true, cause: error });
      if (timedOut) return new SinkWriteError(`no answer from ${host} within ${target.timeoutMs} ms`, { retryable: true, cause: error });
      const refusal = refusalOf(error);
      if (refusal) return new SinkWriteError(refusal.message, { retryable: true, cause: error });
      return new SinkWriteError(connectionFailure(host, error), { retryable: true, cause: error });
    };

    let status: number;
    let answerHeaders: Record<string, string | string[] | undefined>;
    let responseExcerpt: string;
    try {
      const response = await request(target.url, { method: 'POST', headers, body, signal: attempt.signal, dispatcher: options.dispatcher });
      ({ statusCode: status, headers: answerHeaders } = response);
      responseExcerpt = await readExcerpt(response.body);
    } catch (error) {
      throw failed(error);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
    if (status >= 200 && status < 300) return { status, responseExcerpt };
    if (retryable(status)) {
      const header = answerHeaders['retry-after'];
      const wait = retryAfterMs(Array.isArray(header) ? (header[0] ?? null) : (header ?? null), now());
      throw new SinkWriteError(`${host} answered ${status}`, { retryable: true, status, responseExcerpt, ...(wait === undefined ? {} : { retryAfterMs: wait }) });
    }
    const redirect = status >= 300 && status < 400 ? ' (redirects are not followed: give the final URL)' : '';
    throw new SinkWriteError(`${host} answered ${status}${redirect}`, { retryable: false, status, responseExcerpt });
  };
}

export function webhookWriter(target: WebhookTarget, options: WebhookWriterOptions): SinkWriter<JsonRecord> {
  const post = signedPoster(target, options);
  return {
    write: (batch: SinkBatch<JsonRecord>, signal: AbortSignal) => post(batch.id, webhookPayload(batch.rows), signal),
    async close(): Promise<void> {
      // The egress Agent's connection pool is shared by every consumer of the process.
    },
  };
}
