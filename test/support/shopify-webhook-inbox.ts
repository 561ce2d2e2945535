/**
 * A loopback endpoint that keeps every Shopify webhook as it arrived (headers, raw body) and
 * answers the statuses it is told to, in order (then 200): a receiver in trouble, for retries.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ArrivedWebhook {
  headers: Headers;
  rawBody: Buffer;
  /** The status the inbox answered. */
  answered: number;
}

export class ShopifyWebhookInbox {
  readonly arrived: ArrivedWebhook[] = [];
  private readonly answers: number[] = [];
  private server: http.Server | null = null;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/shopify`;
  }

  /** The next requests are answered these statuses, one each. */
  answerNext(...statuses: number[]): void {
    this.answers.push(...statuses);
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
        const answered = this.answers.shift() ?? 200;
        this.arrived.push({ headers, rawBody: Buffer.concat(chunks), answered });
        res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered === 200 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
