/**
 * A webhook receiver on loopback as a user would write one: it verifies every delivery with the
 * `standardwebhooks` package (the Standard Webhooks reference library) and keeps what arrived.
 * Its `mode` imitates an endpoint in trouble: answering 500, refusing the delivery itself (400),
 * hanging, or refusing connections.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type ReceiverMode = 'ok' | 'fail500' | 'fail400' | 'hang' | 'refuse';

export interface ReceivedRecord {
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  updated_idx: number;
  deleted: boolean;
  data: Record<string, unknown>;
  [field: string]: unknown;
}

export interface Delivery {
  webhookId: string;
  at: number;
  records: ReceivedRecord[];
}

export class WebhookReceiver {
  /** Deliveries answered 2xx, in arrival order. */
  readonly delivered: Delivery[] = [];
  /** Requests whose signature did not verify (should stay empty). */
  readonly badSignatures: string[] = [];
  /** Requests answered other than 2xx (by the mode). */
  refusedAnswers = 0;
  private mode: ReceiverMode = 'ok';
  private secret: string | null = null;
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<http.ServerResponse>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The consumer's `whsec_…` secret, once the consumer is created. */
  verifyWith(secret: string): void {
    this.secret = secret;
  }

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** `refuse` closes the listening socket (connections are refused); leaving it listens again on the same port. */
  async setMode(mode: ReceiverMode): Promise<void> {
    const was = this.mode;
    this.mode = mode;
    if (mode === 'refuse' && was !== 'refuse') await this.closeServer();
    if (was === 'refuse' && mode !== 'refuse') await this.start(this.port);
    if (was === 'hang' && mode !== 'hang') {
      for (const res of this.hung) res.destroy();
      this.hung.clear();
    }
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    await this.closeServer();
  }

  /** The newest version of each record that arrived, by `sync_id/collection_id/upstream_id`. */
  latestByKey(): Map<string, ReceivedRecord> {
    const latest = new Map<string, ReceivedRecord>();
    for (const d of this.delivered) {
      for (const r of d.records) {
        const key = recordKey(r);
        const previous = latest.get(key);
        if (!previous || previous.updated_idx < r.updated_idx) latest.set(key, r);
      }
    }
    return latest;
  }

  /** Versions that arrived before an older version of the same record did (same webhook-id redeliveries excepted). */
  outOfOrder(): string[] {
    const seen = new Map<string, number>();
    const problems: string[] = [];
    for (const d of this.delivered) {
      for (const r of d.records) {
        const key = recordKey(r);
        const newest = seen.get(key) ?? 0;
        if (r.updated_idx < newest) problems.push(`${key}: ${r.updated_idx} after ${newest} (${d.webhookId})`);
        seen.set(key, Math.max(newest, r.updated_idx));
      }
    }
    return problems;
  }

  /** Record versions that arrived more than once under different webhook-ids (a redelivery keeps its id). */
  duplicatesWithNewIds(): string[] {
    const idsOf = new Map<string, Set<string>>();
    for (const d of this.delivered) {
      for (const r of d.records) {
        const version = `${recordKey(r)}@${r.updated_idx}`;
        const ids = idsOf.get(version) ?? new Set<string>();
        ids.add(d.webhookId);
        idsOf.set(version, ids);
      }
    }
    return [...idsOf.entries()].filter(([, ids]) => ids.size > 1).map(([version, ids]) => `${version}: ${[...ids].join(', ')}`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (this.mode === 'hang') {
        this.hung.add(res);
        return;
      }
      if (this.mode === 'fail500') {
        this.refusedAnswers++;
        res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver down for maintenance');
        return;
      }
      if (this.mode === 'fail400') {
        this.refusedAnswers++;
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unexpected payload"}');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const webhookId = String(req.headers['webhook-id'] ?? '');
      if (this.secret) {
        try {
          new Webhook(this.secret).verify(body, {
            'webhook-id': webhookId,
            'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
            'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
          });
        } catch {
          this.badSignatures.push(webhookId);
          res.writeHead(401).end();
          return;
        }
      }
      const records = (JSON.parse(body) as { data: ReceivedRecord[] }).data;
      this.delivered.push({ webhookId, at: Date.now(), records });
      res.writeHead(204).end();
    });
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const recordKey = (r: { sync_id: string; collection_id: string; upstream_id: string }) => `${r.sync_id}/${r.collection_id}/${r.upstream_id}`;
