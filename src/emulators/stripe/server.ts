/**
 * HTTP transport: authentication, rate limiting, injected faults, idempotency keys, request
 * logging, and Stripe's response headers. Routing and behaviour are in api.ts.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { StripeApi } from './api.ts';
import { errors, StripeApiError } from './errors.ts';
import { decodeForm, type FormObject } from './form.ts';
import { canonicalJson } from './json.ts';
import { API_VERSION } from './objects.ts';
import type { Random } from './random.ts';
import { requestId as newRequestId } from './random.ts';

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  /** 0 when no answer was sent (a `timeout` or `reset` fault, or a client that went away). */
  status: number;
  startedAt: number;
  /** When the answer was sent, or the connection was cut / closed by the client. */
  endedAt: number;
  /** The injected fault this request got, if any. */
  fault?: FaultKind;
}

/** Every kind of fault the emulator can inject (`rateLimit` 429s are not faults: they have no `fault`). */
export type FaultKind = 'rate429' | 'rate500' | 'timeout' | 'reset' | 'truncated' | 'slow';

export interface Faults {
  /** Probability 0..1 per request of a 429 in Stripe's shape. */
  rate429?: number;
  /** Probability 0..1 per request of a 500 in Stripe's shape. */
  rate500?: number;
  /**
   * Probability 0..1 per request of no answer at all: the request is held open for `timeoutMs`,
   * then its connection is cut (no status line); without `timeoutMs` it is held until the client
   * gives up (its own timeout) or the emulator closes.
   */
  timeoutRate?: number;
  /** How long a `timeoutRate` request is held before the emulator cuts the connection (ms). */
  timeoutMs?: number;
  /** At most this many `timeoutRate` faults from the moment these faults are set (e.g. `{timeoutRate: 1, maxTimeouts: 1}`: exactly the next request). */
  maxTimeouts?: number;
  /** Probability 0..1 per request of the connection being reset without an answer. */
  resetRate?: number;
  /** Probability 0..1 per request of a 200 whose JSON body is cut short (Content-Length matches the cut body). */
  truncatedRate?: number;
  /** Every admitted request is answered a uniformly random 0..slowMs ms later. */
  slowMs?: number;
}

/** Mutable settings the public API changes while the server runs. */
export interface ServerSettings {
  apiKey: string;
  rateLimit: { requestsPerSecond: number } | null;
  faults: Faults;
  requestLog: RequestLogEntry[];
  logger?: Logger;
  /** Random stream for injected faults (kept apart from the data stream). */
  faultRandom: Random;
  /** How many faults of each kind were injected so far (`slow` counts delayed answers). */
  faultCounts?: Record<FaultKind, number>;
}

/** A fault that replaces the answer: the request is not handled (nothing upstream changes). */
class InjectedFault extends Error {
  constructor(readonly kind: 'timeout' | 'reset') {
    super(`injected ${kind}`);
  }
}

interface StoredResponse {
  storedAt: number;
  fingerprint: string;
  status: number;
  body: string;
  requestId: string;
}

const MAX_BODY_BYTES = 1 << 20;
/** Stripe keeps idempotency keys for at least 24 hours. */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const MAX_IDEMPOTENCY_KEYS = 100_000;

const nowMs = (): number => performance.timeOrigin + performance.now();

export class StripeHttpServer {
  readonly server: Server;
  /** Admission times (ms) inside the current rate-limit window. */
  private readonly admitted: number[] = [];
  /** Idempotency keys, scoped by API key as Stripe scopes them by account. */
  private readonly idempotency = new Map<string, StoredResponse>();
  /** Timeout faults injected since `settings.faults` was last replaced (for `maxTimeouts`). */
  private timeouts = { faults: null as Faults | null, count: 0 };

  constructor(
    private readonly api: StripeApi,
    private readonly settings: ServerSettings,
  ) {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        this.settings.logger?.error({ err: error }, 'stripe emulator: failed to answer a request');
        res.destroy();
      });
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = nowMs();
    const requestId = newRequestId();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = q === -1 ? '' : rawUrl.slice(q + 1);
    const entry: RequestLogEntry = { method, path, query, status: 0, startedAt, endedAt: 0 };
    this.settings.requestLog.push(entry);
    // A request that gets no answer ends when its connection does (client timeout, cut, reset).
    const socket = req.socket;
    let onGone: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => {
      onGone = () => {
        if (entry.endedAt === 0) entry.endedAt = nowMs();
        resolve();
      };
    });
    socket.once('end', onGone);
    socket.once('close', onGone);
    const forget = () => {
      socket.off('end', onGone);
      socket.off('close', onGone);
    };
    res.once('finish', forget);

    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Request-Id': requestId,
      'Stripe-Version': headerValue(req, 'stripe-version') ?? API_VERSION,
    };
    const truncate = this.draw('truncatedRate');
    const send = (status: number, body: string, extra: Record<string, string> = {}): void => {
      if (truncate && status === 200) {
        // A 200 whose JSON stops half-way, with a Content-Length that matches what is sent.
        body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
        entry.fault = 'truncated';
        this.count('truncated');
      }
      entry.status = status;
      if (entry.endedAt === 0) entry.endedAt = nowMs();
      if (!res.headersSent) res.writeHead(status, { ...headers, ...extra, 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
      this.settings.logger?.debug(
        { method, path, query, status, ms: Math.round(entry.endedAt - startedAt), requestId },
        'stripe emulator request',
      );
    };
    const sendError = (error: StripeApiError): void => send(error.status, JSON.stringify(error.toBody()), error.headers);

    try {
      const body = await readBody(req);
      this.authenticate(req);
      this.admit();
      this.injectFaults(entry);
      await this.delay(entry);

      const params: FormObject = decodeForm(query);
      if (method === 'POST' && body.length > 0) Object.assign(params, decodeForm(body));

      const idempotencyKey = method === 'POST' ? headerValue(req, 'idempotency-key') : undefined;
      if (idempotencyKey !== undefined) {
        headers['Idempotency-Key'] = idempotencyKey;
        const scoped = `${this.settings.apiKey}\u0000${idempotencyKey}`;
        const fingerprint = `${method} ${path} ${canonicalJson(params)}`;
        const stored = this.recall(scoped);
        if (stored) {
          if (stored.fingerprint !== fingerprint) throw errors.idempotencyMismatch(idempotencyKey);
          send(stored.status, stored.body, { 'Idempotent-Replayed': 'true', 'Original-Request': stored.requestId });
          return;
        }
        const ctx = { requestId, idempotencyKey };
        try {
          const result = this.api.handle({ method, path, params, ctx });
          const text = JSON.stringify(result.body);
          this.remember(scoped, { storedAt: Date.now(), fingerprint, status: result.status, body: text, requestId });
          send(result.status, text);
        } catch (error) {
          // Stripe saves the result once the endpoint began executing; validation failures are not saved.
          if (error instanceof StripeApiError && error.storeForIdempotency) {
            this.remember(scoped, { storedAt: Date.now(), fingerprint, status: error.status, body: JSON.stringify(error.toBody()), requestId });
          }
          throw error;
        }
        return;
      }

      const result = this.api.handle({ method, path, params, ctx: { requestId, idempotencyKey: null } });
      send(result.status, JSON.stringify(result.body));
    } catch (error) {
      if (error instanceof InjectedFault) {
        entry.fault = error.kind;
        this.count(error.kind);
        if (error.kind === 'timeout') {
          const { timeoutMs } = this.settings.faults;
          if (timeoutMs === undefined) {
            await closed; // until the client gives up or the emulator closes
          } else {
            await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
          }
        }
        if (entry.endedAt === 0) entry.endedAt = nowMs();
        forget();
        if (!socket.destroyed) socket.resetAndDestroy();
        return;
      }
      if (error instanceof StripeApiError) {
        sendError(error);
        return;
      }
      this.settings.logger?.error({ err: error, method, path }, 'stripe emulator: unexpected error');
      sendError(errors.internal());
    }
  }

  private recall(key: string): StoredResponse | undefined {
    const stored = this.idempotency.get(key);
    if (stored && Date.now() - stored.storedAt > IDEMPOTENCY_TTL_MS) {
      this.idempotency.delete(key);
      return undefined;
    }
    return stored;
  }

  private remember(key: string, response: StoredResponse): void {
    this.idempotency.set(key, response);
    // Oldest first (Map keeps insertion order): bound memory in long runs.
    while (this.idempotency.size > MAX_IDEMPOTENCY_KEYS) {
      const oldest = this.idempotency.keys().next().value;
      if (oldest === undefined) break;
      this.idempotency.delete(oldest);
    }
  }

  /** `Authorization: Bearer <key>` or HTTP Basic with the key as user name. */
  private authenticate(req: IncomingMessage): void {
    const header = headerValue(req, 'authorization');
    if (!header || header.trim() === '') throw errors.missingApiKey();
    const [scheme = '', ...rest] = header.trim().split(/\s+/);
    const credentials = rest.join(' ');
    let key: string;
    if (scheme.toLowerCase() === 'bearer') {
      key = credentials;
    } else if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      key = colon === -1 ? decoded : decoded.slice(0, colon);
    } else {
      key = header.trim();
    }
    if (key === '') throw errors.missingApiKey();
    if (key !== this.settings.apiKey) throw errors.invalidApiKey(key);
  }

  /** Sliding one-second window over admitted requests. */
  private admit(): void {
    const limit = this.settings.rateLimit;
    if (!limit) return;
    const now = nowMs();
    while (this.admitted.length > 0 && (this.admitted[0] as number) <= now - 1000) this.admitted.shift();
    if (this.admitted.length >= limit.requestsPerSecond) throw errors.rateLimited();
    this.admitted.push(now);
  }

  private injectFaults(entry: RequestLogEntry): void {
    const { rate429 = 0, rate500 = 0 } = this.settings.faults;
    if (rate429 > 0 && this.settings.faultRandom.next() < rate429) {
      entry.fault = 'rate429';
      this.count('rate429');
      throw errors.rateLimited();
    }
    if (rate500 > 0 && this.settings.faultRandom.next() < rate500) {
      entry.fault = 'rate500';
      this.count('rate500');
      throw errors.internal();
    }
    if (this.timeouts.faults !== this.settings.faults) this.timeouts = { faults: this.settings.faults, count: 0 };
    const { maxTimeouts } = this.settings.faults;
    if ((maxTimeouts === undefined || this.timeouts.count < maxTimeouts) && this.draw('timeoutRate')) {
      this.timeouts.count++;
      throw new InjectedFault('timeout');
    }
    if (this.draw('resetRate')) throw new InjectedFault('reset');
  }

  /** One draw of the fault stream for a probability fault (no draw when the fault is off, so older seeds replay as before). */
  private draw(kind: 'timeoutRate' | 'resetRate' | 'truncatedRate'): boolean {
    const rate = this.settings.faults[kind] ?? 0;
    return rate > 0 && this.settings.faultRandom.next() < rate;
  }

  /** `slowMs`: a uniformly random delay before an admitted request is handled (its answer comes that much later). */
  private async delay(entry: RequestLogEntry): Promise<void> {
    const slowMs = this.settings.faults.slowMs ?? 0;
    if (slowMs <= 0) return;
    const ms = this.settings.faultRandom.next() * slowMs;
    entry.fault ??= 'slow';
    this.count('slow');
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  private count(kind: FaultKind): void {
    if (this.settings.faultCounts) this.settings.faultCounts[kind]++;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('the Stripe emulator did not get a TCP port'));
          return;
        }
        resolve(address.port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      if (tooLarge) reject(errors.invalidRequest('Request body is too large.'));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!ended) reject(new Error('the client closed the connection before sending its whole request'));
    });
  });
}

