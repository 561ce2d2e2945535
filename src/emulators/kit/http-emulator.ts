/**
 * The HTTP transport every provider emulator shares: request log, a sliding-window rate limit,
 * injected faults (429, 500, no answer, reset, truncated JSON, slow answers), body reading,
 * listen/close. A provider supplies only its wire format: authentication, routes, the shape of
 * its errors and rate-limit answers, and the headers it puts on every answer.
 */

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Random } from './random.ts';

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

/** Every kind of fault an emulator can inject (rate-limit 429s are not faults: they have no `fault`). */
export type FaultKind = 'rate429' | 'rate500' | 'timeout' | 'reset' | 'truncated' | 'slow';

export interface Faults {
  /** Probability 0..1 per request of a 429 in the provider's shape. */
  rate429?: number;
  /** Probability 0..1 per request of a 500 in the provider's shape. */
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

/** The emulator's own rate limit: at most `requests` admitted in any sliding `windowMs`. */
export interface EmulatorRateLimit {
  requests: number;
  windowMs: number;
}

/** Where the rate-limit window stands for the request being answered (for X-RateLimit-* style headers). */
export interface RateLimitState {
  limit: number;
  remaining: number;
  windowMs: number;
  /** ms until the oldest admitted request leaves the window (0 when the window is empty). */
  resetInMs: number;
}

export interface EmulatorRequest {
  method: string;
  path: string;
  /** The query string without `?`, undecoded. */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body as text ('' when none). */
  body: string;
  /** First value of a header, lower-case name. */
  header(name: string): string | undefined;
  /** The request's absolute base URL as the client reached it (for Link headers, next-page URLs). */
  baseUrl: string;
}

export interface EmulatorAnswer {
  status: number;
  /** A string is sent as it is; anything else as JSON. `undefined`: no body. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown by a provider's routes or authentication to answer with an error. */
export class EmulatorError extends Error {
  constructor(readonly answer: EmulatorAnswer) {
    super(`emulator error ${answer.status}`);
  }
}

/** The provider-specific half of an emulator. */
export interface EmulatorWireFormat {
  /** For logs, e.g. `hubspot`. */
  name: string;
  /** Throws an EmulatorError to refuse the request (401 etc.); runs before the rate limit. */
  authenticate(request: EmulatorRequest): void;
  /** The answer when the rate limit (or an injected 429) refuses a request. */
  rateLimited(request: EmulatorRequest, state: RateLimitState): EmulatorAnswer;
  /** The provider's 500. */
  internalError(request: EmulatorRequest): EmulatorAnswer;
  /** Headers on every answer (rate-limit headers, request ids). */
  answerHeaders?(request: EmulatorRequest, state: RateLimitState | null): Record<string, string>;
  /** Routes the request; throw EmulatorError for error answers. */
  handle(request: EmulatorRequest): EmulatorAnswer | Promise<EmulatorAnswer>;
}

/** One request and the answer the emulator gave it, as an exchange recorder keeps them. */
export interface RecordedExchange {
  method: string;
  path: string;
  /** The query string without `?`, undecoded. */
  query: string;
  requestContentType: string | undefined;
  requestBody: string;
  status: number;
  answerContentType: string | undefined;
  /** The answer's body as the route gave it (before an injected truncation). */
  answerBody: string;
  /** The injected fault this exchange got, if any. */
  fault?: FaultKind;
  /** true when a body was longer than the recorder keeps (it holds the start only). */
  cut?: true;
}

export interface ExchangeRecorderLimits {
  /** Exchanges kept; later ones are counted in `dropped` only. Default 10,000. */
  maxExchanges?: number;
  /** Characters kept of each body. Default 1 MiB. */
  maxBodyChars?: number;
}

/**
 * What a switched-on exchange recorder holds (tests check it against the provider's API
 * description). Bounded: it keeps the first `maxExchanges` exchanges.
 */
export class ExchangeRecording {
  readonly exchanges: RecordedExchange[] = [];
  dropped = 0;
  private readonly maxExchanges: number;
  private readonly maxBodyChars: number;

  constructor(limits: ExchangeRecorderLimits = {}) {
    this.maxExchanges = limits.maxExchanges ?? 10_000;
    this.maxBodyChars = limits.maxBodyChars ?? 1 << 20;
  }

  add(exchange: RecordedExchange): void {
    if (this.exchanges.length >= this.maxExchanges) {
      this.dropped++;
      return;
    }
    const cut = exchange.requestBody.length > this.maxBodyChars || exchange.answerBody.length > this.maxBodyChars;
    this.exchanges.push({
      ...exchange,
      requestBody: exchange.requestBody.slice(0, this.maxBodyChars),
      answerBody: exchange.answerBody.slice(0, this.maxBodyChars),
      ...(cut ? { cut: true as const } : {}),
    });
  }
}

export interface HttpEmulatorOptions {
  rateLimit?: EmulatorRateLimit | null;
  faults?: Faults;
  /** Seed of the fault stream (kept apart from any data stream). */
  faultSeed?: number;
  logger?: Logger;
  maxBodyBytes?: number;
}

/** A fault that replaces the answer: the request is not handled (nothing upstream changes). */
class InjectedFault extends Error {
  constructor(readonly kind: 'timeout' | 'reset') {
    super(`injected ${kind}`);
  }
}

const nowMs = (): number => performance.timeOrigin + performance.now();

const emptyFaultCounts = (): Record<FaultKind, number> => ({ rate429: 0, rate500: 0, timeout: 0, reset: 0, truncated: 0, slow: 0 });

export class HttpEmulator {
  readonly server: Server;
  /** Every request, in arrival order (rejected ones included). */
  readonly requestLog: RequestLogEntry[] = [];
  /** How many faults of each kind were injected since the start (`slow`: answers delayed). */
  readonly faultCounts: Record<FaultKind, number> = emptyFaultCounts();
  private rateLimit: EmulatorRateLimit | null;
  private faults: Faults;
  private readonly faultRandom: Random;
  /** Admission times (ms) inside the current rate-limit window. */
  private readonly admitted: number[] = [];
  /** Timeout faults injected since `faults` was last replaced (for `maxTimeouts`). */
  private timeoutsSinceSet = 0;
  private boundPort = 0;
  private host = '127.0.0.1';
  private recording: ExchangeRecording | null = null;

  constructor(
    private readonly wire: EmulatorWireFormat,
    private readonly options: HttpEmulatorOptions = {},
  ) {
    this.rateLimit = options.rateLimit ?? null;
    this.faults = options.faults ?? {};
    this.faultRandom = new Random(options.faultSeed ?? 0x5eed);
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        this.options.logger?.error({ err: error }, `${wire.name} emulator: failed to answer a request`);
        res.destroy();
      });
    });
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  clearRequestLog(): void {
    this.requestLog.length = 0;
  }

  /** Records every answered exchange from now on (until `stopRecordingExchanges`); off by default. */
  recordExchanges(limits?: ExchangeRecorderLimits): ExchangeRecording {
    this.recording = new ExchangeRecording(limits);
    return this.recording;
  }

  stopRecordingExchanges(): void {
    this.recording = null;
  }

  setFaults(faults: Faults): void {
    this.faults = faults;
    this.timeoutsSinceSet = 0;
  }

  setRateLimit(rateLimit: EmulatorRateLimit | null): void {
    this.rateLimit = rateLimit;
    this.admitted.length = 0;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = nowMs();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
    const entry: RequestLogEntry = { method, path, query: rawQuery, status: 0, startedAt, endedAt: 0 };
    this.requestLog.push(entry);
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

    const request: EmulatorRequest = {
      method,
      path,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      headers: req.headers,
      body: '',
      header: (name) => headerValue(req, name),
      baseUrl: headerValue(req, 'host') ? `http://${headerValue(req, 'host')}` : this.url,
    };
    let limitState: RateLimitState | null = null;
    const truncate = this.draw('truncatedRate');
    const send = (answer: EmulatorAnswer): void => {
      let body = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const headers = {
        'Content-Type': 'application/json; charset=utf-8',
        ...(this.wire.answerHeaders?.(request, limitState) ?? {}),
        ...(answer.headers ?? {}),
      };
      this.recording?.add({
        method,
        path,
        query: rawQuery,
        requestContentType: request.header('content-type'),
        requestBody: request.body,
        status: answer.status,
        answerContentType: contentTypeOf(headers),
        answerBody: body,
        ...(entry.fault ? { fault: entry.fault } : {}),
      });
      if (truncate && answer.status === 200 && body.length > 0) {
        body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
        entry.fault = 'truncated';
        this.count('truncated');
      }
      entry.status = answer.status;
      if (entry.endedAt === 0) entry.endedAt = nowMs();
      if (!res.headersSent) res.writeHead(answer.status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
      this.options.logger?.debug({ method, path, query: rawQuery, status: answer.status, ms: Math.round(entry.endedAt - startedAt) }, `${this.wire.name} emulator request`);
    };

    try {
      request.body = await readBody(req, this.options.maxBodyBytes ?? 1 << 20);
      this.wire.authenticate(request);
      limitState = this.admit(request);
      this.injectFaults(entry, request, limitState);
      await this.delay(entry);
      send(await this.wire.handle(request));
    } catch (error) {
      if (error instanceof InjectedFault) {
        entry.fault = error.kind;
        this.count(error.kind);
        if (error.kind === 'timeout') {
          const { timeoutMs } = this.faults;
          if (timeoutMs === undefined) await closed;
          else await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
        }
        if (entry.endedAt === 0) entry.endedAt = nowMs();
        forget();
        if (!socket.destroyed) socket.resetAndDestroy();
        return;
      }
      if (error instanceof EmulatorError) {
        send(error.answer);
        return;
      }
      if (error instanceof BodyTooLarge) {
        send({ status: 413, body: { message: 'Request body is too large.' } });
        return;
      }
      this.options.logger?.error({ err: error, method, path }, `${this.wire.name} emulator: unexpected error`);
      send(this.wire.internalError(request));
    }
  }

  /** Sliding window over admitted requests; refusals are not admitted (they do not count). */
  private admit(request: EmulatorRequest): RateLimitState | null {
    const limit = this.rateLimit;
    if (!limit) return null;
    const now = nowMs();
    while (this.admitted.length > 0 && (this.admitted[0] as number) <= now - limit.windowMs) this.admitted.shift();
    const state = (): RateLimitState => ({
      limit: limit.requests,
      remaining: Math.max(0, limit.requests - this.admitted.length),
      windowMs: limit.windowMs,
      resetInMs: this.admitted.length === 0 ? 0 : Math.max(0, (this.admitted[0] as number) + limit.windowMs - now),
    });
    if (this.admitted.length >= limit.requests) throw new EmulatorError(this.wire.rateLimited(request, state()));
    this.admitted.push(now);
    return state();
  }

  private injectFaults(entry: RequestLogEntry, request: EmulatorRequest, limitState: RateLimitState | null): void {
    const { rate429 = 0, rate500 = 0 } = this.faults;
    if (rate429 > 0 && this.faultRandom.next() < rate429) {
      entry.fault = 'rate429';
      this.count('rate429');
      const state = limitState ?? { limit: 0, remaining: 0, windowMs: 1000, resetInMs: 1000 };
      throw new EmulatorError(this.wire.rateLimited(request, { ...state, remaining: 0, resetInMs: Math.max(state.resetInMs, 1000) }));
    }
    if (rate500 > 0 && this.faultRandom.next() < rate500) {
      entry.fault = 'rate500';
      this.count('rate500');
      throw new EmulatorError(this.wire.internalError(request));
    }
    const { maxTimeouts } = this.faults;
    if ((maxTimeouts === undefined || this.timeoutsSinceSet < maxTimeouts) && this.draw('timeoutRate')) {
      this.timeoutsSinceSet++;
      throw new InjectedFault('timeout');
    }
    if (this.draw('resetRate')) throw new InjectedFault('reset');
  }

  /** One draw of the fault stream for a probability fault (no draw when the fault is off, so seeds replay as before). */
  private draw(kind: 'timeoutRate' | 'resetRate' | 'truncatedRate'): boolean {
    const rate = this.faults[kind] ?? 0;
    return rate > 0 && this.faultRandom.next() < rate;
  }

  /** `slowMs`: a uniformly random delay before an admitted request is handled. */
  private async delay(entry: RequestLogEntry): Promise<void> {
    const slowMs = this.faults.slowMs ?? 0;
    if (slowMs <= 0) return;
    const ms = this.faultRandom.next() * slowMs;
    entry.fault ??= 'slow';
    this.count('slow');
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  private count(kind: FaultKind): void {
    this.faultCounts[kind]++;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error(`the ${this.wire.name} emulator did not get a TCP port`));
          return;
        }
        this.host = host;
        this.boundPort = address.port;
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

class BodyTooLarge extends Error {}

function contentTypeOf(headers: Record<string, string>): string | undefined {
  const name = Object.keys(headers).find((h) => h.toLowerCase() === 'content-type');
  return name === undefined ? undefined : headers[name];
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      if (tooLarge) reject(new BodyTooLarge());
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!ended) reject(new Error('the client closed the connection before sending its whole request'));
    });
  });
}

/** Bearer token of `Authorization`, or null. */
export function bearerToken(request: EmulatorRequest): string | null {
  const header = request.header('authorization')?.trim();
  if (!header) return null;
  const match = /^bearer\s+(.+)$/i.exec(header);
  return match ? (match[1] as string).trim() : null;
}

/** `user:password` of HTTP Basic `Authorization`, or null. */
export function basicCredentials(request: EmulatorRequest): { user: string; password: string } | null {
  const header = request.header('authorization')?.trim();
  const match = header ? /^basic\s+(.+)$/i.exec(header) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The body as JSON; throws the given error answer when it is not JSON. */
export function jsonBody(request: EmulatorRequest, invalid: () => EmulatorAnswer): unknown {
  if (request.body.trim() === '') return {};
  try {
    return JSON.parse(request.body) as unknown;
  } catch {
    throw new EmulatorError(invalid());
  }
}
