import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An endpoint in front of a receiver that answers 400 while `refusing` (a receiver with a bug:
 * a 4xx other than 408/429 counts toward max_deliver) and otherwise passes each request on as it
 * came, signature headers included, answering what the receiver answered.
 */
export class RefusingGate {
  refusing = true;
  refused = 0;
  private server: http.Server | null = null;
  private port = 0;

  constructor(private readonly target: () => string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.refusing) {
          this.refused++;
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unknown field upstream_created_at"}');
          return;
        }
        const { host: _host, ...headers } = req.headers;
        const forward = http.request(this.target(), { method: req.method, headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on('error', () => res.writeHead(502).end());
        forward.end(Buffer.concat(chunks));
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
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
