/**
 * What a webhook delivery keeps of the receiver's answer: the first bytes of its body for the
 * delivery log (the rest read and dropped, never held), and how long it asked us to wait.
 */
import type { Readable } from 'node:stream';

/** Kept of each answer's body (the delivery log's `response_excerpt`). */
export const EXCERPT_BYTES = 2 * 1024;
/**
 * Read (and dropped) past the excerpt so the connection can carry the next delivery; a longer
 * answer is cut off there and its connection closed.
 */
const DRAIN_BYTES = 64 * 1024;

/**
 * The body's first `EXCERPT_BYTES` as text, without a character the limit cut in half; U+0000
 * (which PostgreSQL cannot store) shows as U+FFFD. An error while reading ends the excerpt
 * with what was read: the status line already said how the delivery went. Read by its events,
 * not an async iterator: most answers are empty, and the iterator's machinery cost more than the
 * rest of reading an answer.
 */
export function readExcerpt(body: Readable): Promise<string> {
  return new Promise((resolve) => {
    const kept = new Uint8Array(EXCERPT_BYTES);
    let keptBytes = 0;
    let readBytes = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      body.off('data', onData);
      if (keptBytes === 0) return resolve('');
      // `stream`: bytes of a last character cut by the limit wait for more, which never comes.
      resolve(new TextDecoder('utf-8').decode(kept.subarray(0, keptBytes), { stream: true }).replace(/\u0000/g, '\ufffd'));
    };
    const onData = (chunk: Uint8Array) => {
      if (keptBytes < EXCERPT_BYTES) {
        const part = chunk.subarray(0, EXCERPT_BYTES - keptBytes);
        kept.set(part, keptBytes);
        keptBytes += part.length;
      }
      readBytes += chunk.length;
      if (readBytes > DRAIN_BYTES) {
        // Cut off: destroying the body closes its connection.
        finish();
        body.destroy();
      }
    };
    // An error (aborted by the timeout, reset) or a close before the end: the excerpt is what came.
    body.on('data', onData).on('end', finish).on('error', finish).on('close', finish);
  });
}

/** `Retry-After` (delay-seconds or an HTTP-date) in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Codes of a failed connection (`fetch failed`'s causes) in words a consumer's owner acts on. */
const CONNECTION_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed before the answer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporarily)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not name the host',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is the port http, not https?)',
};

/** Why a request got no answer, naming the host as the URL does (never the address it resolved to). */
export function connectionFailure(host: string, error: unknown): string {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 6; cause = cause.cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && code in CONNECTION_FAILURES) return `cannot deliver to ${host}: ${CONNECTION_FAILURES[code]}`;
    if (typeof code === 'string' && /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO)/.test(code)) return `cannot deliver to ${host}: TLS failed (${code})`;
  }
  return `cannot deliver to ${host}: the connection failed`;
}
