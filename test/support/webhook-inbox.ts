/**
 * A loopback endpoint that keeps every request as it arrived (method, URL, headers, raw body) and
 * answers the statuses it is told to, in order (then 200): a provider's webhook receiver, or one
 * in trouble for retries. Shared by the emulators' and the providers' webhook tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ArrivedRequest {
  method: string;
  /** The absolute URL the request was sent to (the inbox's origin and the request target). */
  url: string;
  /** The request target as sent: path and query. */
  path: string;
  headers: Headers;
  rawBody: Buffer;
  /** The raw body as UTF-8. */
  text: string;
  /** The raw body parsed as JSON. */
  json<T = unknown>(): T;
  /** The status the inbox answered. */
  answered: number;
}

interface Waiter {
  count: number;
  resolve: () => void;
}

export class WebhookInbox {
  readonly arrived: ArrivedRequest[] = [];
  private readonly answers: number[] = [];
  private readonly waiters = new Set<Waiter>();
  private server: http.Server | null = null;
  private origin: string | null = null;

  /** `path` (with a query if wanted) is where `url` points; the inbox keeps requests to any path. */
  constructor(private readonly path = '/hook') {}

  get url(): string {
    if (this.origin === null) throw new Error('the webhook inbox is not started');
    return `${this.origin}${this.path}`;
  }

  /** The next requests are answered these statuses, one each. */
  answerNext(...statuses: number[]): void {
    this.answers.push(...statuses);
  }

  /** Forgets what arrived and the statuses still queued. */
  reset(): void {
    this.arrived.length = 0;
    this.answers.length = 0;
  }

  /** Resolves once `count` requests have arrived in all (counted since the last reset). */
  async arrivals(count: number, what = `${count} requests`, timeoutMs = 10_000): Promise<void> {
    if (this.arrived.length >= count) return;
    let timer: NodeJS.Timeout | undefined;
    const waiter: Waiter = { count, resolve: () => undefined };
    try {
      await new Promise<void>((resolve, reject) => {
        waiter.resolve = resolve;
        this.waiters.add(waiter);
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.arrived.length} arrived)`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    }
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const answered = this.answers.shift() ?? 200;
        this.keep(req, Buffer.concat(chunks), answered);
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered >= 200 && answered < 300 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private keep(req: http.IncomingMessage, rawBody: Buffer, answered: number): void {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else for (const each of value ?? []) headers.append(name, each);
    }
    const path = req.url ?? '/';
    const text = rawBody.toString('utf8');
    this.arrived.push({ method: req.method ?? 'POST', url: `${this.origin}${path}`, path, headers, rawBody, text, json: <T>() => JSON.parse(text) as T, answered });
    for (const waiter of this.waiters) if (this.arrived.length >= waiter.count) waiter.resolve();
  }
}
