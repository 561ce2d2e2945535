/**
 * Writes one webhook consumer's batches (DESIGN.md §7b): `POST url` with `{"data":[record, …]}`
 * (each record as REST answers it, DESIGN.md §2), the consumer's headers, and the Standard
 * Webhooks headers — `webhook-id` (the batch's id: the same for every attempt at it),
 * `webhook-timestamp` (this attempt, unix seconds) and `webhook-signature` (`v1,<base64>`, one
 * per secret: a secret replaced by a rotation signs beside the new one until its grace ends).
 *
 * Sent through the egress fetch (every connection checked against the egress policy after
 * resolution), redirects not followed, within `timeoutMs`. 2xx resolves; 408, 429, 5xx, a timeout
 * and a failed connection are retryable `SinkWriteError`s; any other answer (3xx, 4xx) is a
 * failed attempt (`retryable: false`), which the runner may dead-letter.
 */
import { Webhook } from 'standardwebhooks';
import { EgressRefusedError } from '../../errors.ts';
import type { RecordRow } from '../../projections/record-row.ts';
import { presentRecordRow } from '../../queries/records.ts';
import { SinkWriteError, type SinkBatch, type SinkWriter, type SinkWriteResult } from '../sinks/sink.ts';
import { connectionFailure, readExcerpt, retryAfterMs } from './answer.ts';

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
  /** The egress fetch in the server (src/net/egress-fetch.ts). */
  fetch: typeof globalThis.fetch;
  now?: () => Date;
}

const USER_AGENT = 'Syncline-Webhooks/1';
const encoder = new TextEncoder();

/** `{"data":[…]}` with each record in the shape REST answers (DESIGN.md §2). */
export function webhookPayload(rows: readonly RecordRow[]): Uint8Array<ArrayBuffer> {
  return encoder.encode(`{"data":[${rows.map((row) => JSON.stringify(presentRecordRow(row))).join(',')}]}`);
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

export function webhookWriter(target: WebhookTarget, options: WebhookWriterOptions): SinkWriter {
  const now = options.now ?? (() => new Date());
  const host = new URL(target.url).host;
  const signer = new Webhook(target.secret);
  const previousSigner = target.previousSecret === null ? null : new Webhook(target.previousSecret);
  // Theirs first, so the delivery's own headers win should a stored name ever collide.
  const baseHeaders: Record<string, string> = { 'user-agent': USER_AGENT, ...target.headers, 'content-type': 'application/json' };

  function signature(id: string, at: Date, body: Uint8Array): string {
    const signatures = [signer.sign(id, at, body)];
    if (previousSigner && target.previousSecretValidUntil && at < target.previousSecretValidUntil) signatures.push(previousSigner.sign(id, at, body));
    return signatures.join(' ');
  }

  return {
    async write(batch: SinkBatch, signal: AbortSignal): Promise<SinkWriteResult> {
      const body = webhookPayload(batch.rows);
      const at = now();
      const headers = {
        ...baseHeaders,
        'webhook-id': batch.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature(batch.id, at, body),
      };
      const timeout = AbortSignal.timeout(target.timeoutMs);
      const attempt = AbortSignal.any([signal, timeout]);
      const failed = (error: unknown): SinkWriteError => {
        if (signal.aborted) return new SinkWriteError('delivery stopped', { retryable: true, cause: error });
        if (timeout.aborted) return new SinkWriteError(`no answer from ${host} within ${target.timeoutMs} ms`, { retryable: true, cause: error });
        if (error instanceof EgressRefusedError) return new SinkWriteError(error.message, { retryable: true, cause: error });
        return new SinkWriteError(connectionFailure(host, error), { retryable: true, cause: error });
      };

      let response: Response;
      try {
        response = await options.fetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: attempt });
      } catch (error) {
        throw failed(error);
      }
      const { status } = response;
      const responseExcerpt = await readExcerpt(response.body);
      if (status >= 200 && status < 300) return { status, responseExcerpt };
      if (retryable(status)) {
        const wait = retryAfterMs(response.headers.get('retry-after'), now());
        throw new SinkWriteError(`${host} answered ${status}`, { retryable: true, status, responseExcerpt, ...(wait === undefined ? {} : { retryAfterMs: wait }) });
      }
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed: give the final URL)' : '';
      throw new SinkWriteError(`${host} answered ${status}${redirect}`, { retryable: false, status, responseExcerpt });
    },
    async close(): Promise<void> {
      // The egress fetch's connection pool is shared by every consumer of the process.
    },
  };
}
