import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookWriter, type WebhookTarget } from '../../src/consumers/webhook/writer.ts';
import { EXCERPT_BYTES } from '../../src/consumers/webhook/answer.ts';
import { WebhookSigner } from '../../src/consumers/webhook/signature.ts';
import { SinkWriteError, type JsonRecord, type SinkBatch, type SinkWriteResult } from '../../src/consumers/sinks/sink.ts';
import { egressDispatcher } from '../../src/net/egress-fetch.ts';
import type { RecordRow } from '../../src/projections/record-row.ts';
import { presentRecordRow } from '../../src/queries/records.ts';
import { freePort } from '../support/free-port.ts';
import { TEST_EGRESS_ALLOW } from '../support/server.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A receiver on 127.0.0.1 answering as the test says, keeping what it got. */
class Receiver {
  readonly received: Received[] = [];
  handler: Handler = (_req, res) => res.writeHead(204).end();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ url: req.url ?? '', headers: req.headers as Record<string, string>, body });
        this.handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve).closeAllConnections());
  }
}

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const row = (upstreamId: string, idx: number, data: Record<string, unknown> = { id: upstreamId, name: 'Zoë "quoted" ✓' }): RecordRow => ({
  sync_id: '6f1c3a52-41f4-4c0e-9a43-1e1e5b7d2a10',
  collection_id: 'stripe:customer',
  upstream_id: upstreamId,
  updated_idx: String(idx),
  data,
  deleted: false,
  upstream_created_at: new Date('2024-11-10T18:38:00.070Z'),
  upstream_updated_at: null,
});
/** The runner hands the writer each record's JSON text as PostgreSQL builds it (test/webhooks/webhook-delivery checks that one); here, as REST presents a row. */
const asJson = (r: RecordRow): JsonRecord => ({ sync_id: r.sync_id, collection_id: r.collection_id, upstream_id: r.upstream_id, updated_idx: r.updated_idx, json: JSON.stringify(presentRecordRow(r)) });
const batch = (id: string, rows: RecordRow[], attempt = 1): SinkBatch<JsonRecord> => ({ id, rows: rows.map(asJson), attempt });
const failure = (promise: Promise<SinkWriteResult>) =>
  promise.then(
    (result) => {
      throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SinkWriteError);
      return error as SinkWriteError;
    },
  );

describe('webhook writer (real HTTP receivers on 127.0.0.1)', () => {
  const dispatcher = egressDispatcher({ SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW });
  const receiver = new Receiver();
  const signal = new AbortController().signal;
  let secret: string;
  let target: WebhookTarget;

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());
  afterEach(() => {
    receiver.received.length = 0;
    receiver.handler = (_req, res) => res.writeHead(204).end();
  });

  const writerFor = (overrides: Partial<WebhookTarget> = {}) => {
    secret = newSecret();
    target = { url: `${receiver.url}/hooks?tenant=acme`, headers: { authorization: 'Bearer receiver-token', 'x-tenant': 'acme' }, secret, previousSecret: null, previousSecretValidUntil: null, timeoutMs: 5_000, ...overrides };
    return webhookWriter(target, { dispatcher });
  };

  it('POSTs {"data":[record, …]} in the REST record shape, signed as Standard Webhooks says', async () => {
    receiver.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    const rows = [row('cus_1', 41), { ...row('cus_2', 42, { id: 'cus_2', nested: { list: [1, null, true] } }), deleted: true }];
    const before = Math.floor(Date.now() / 1000);
    expect(await writerFor().write(batch('batch-1', rows), signal)).toEqual({ status: 200, responseExcerpt: 'thanks' });

    const [got] = receiver.received;
    expect(got!.url).toBe('/hooks?tenant=acme');
    expect(got!.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer receiver-token', 'x-tenant': 'acme', 'webhook-id': 'batch-1' });
    expect(Number(got!.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(before);
    expect(Number(got!.headers['webhook-timestamp'])).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(got!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    // The receiver's library verifies it, and reads the records exactly as REST answers them.
    expect(new Webhook(secret).verify(got!.body, got!.headers)).toEqual({
      data: [
        {
          sync_id: '6f1c3a52-41f4-4c0e-9a43-1e1e5b7d2a10',
          collection_id: 'stripe:customer',
          upstream_id: 'cus_1',
          updated_idx: 41,
          upstream_created_at: '2024-11-10T18:38:00.070Z',
          upstream_updated_at: null,
          deleted: false,
          data: { id: 'cus_1', name: 'Zoë "quoted" ✓' },
        },
        expect.objectContaining({ upstream_id: 'cus_2', updated_idx: 42, deleted: true, data: { id: 'cus_2', nested: { list: [1, null, true] } } }),
      ],
    });
    expect(() => new Webhook(newSecret()).verify(got!.body, got!.headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(got!.body.replace('cus_1', 'cus_9'), got!.headers)).toThrow(/No matching signature/);
  });

  it("signs exactly as the standardwebhooks package does", () => {
    const key = newSecret();
    const body = new TextEncoder().encode('{"data":[{"é":"✓"}]}');
    for (const [id, seconds] of [['msg_1', 1_700_000_000], ['3f0c-batch', 1_767_225_600]] as const) {
      expect(new WebhookSigner(key).sign(id, seconds, body)).toBe(new Webhook(key).sign(id, new Date(seconds * 1000 + 999), body));
    }
  });

  it('keeps webhook-id across the attempts of one batch; each attempt is signed with its own timestamp', async () => {
    let calls = 0;
    receiver.handler = (_req, res) => res.writeHead(calls++ === 0 ? 500 : 200).end();
    const writer = writerFor();
    const rows = [row('cus_1', 7)];
    await failure(writer.write(batch('stable-batch-id', rows, 1), signal));
    await writer.write(batch('stable-batch-id', rows, 2), signal);
    await writer.write(batch('next-batch-id', [row('cus_2', 8)]), signal);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual(['stable-batch-id', 'stable-batch-id', 'next-batch-id']);
    for (const got of receiver.received) expect(() => new Webhook(secret).verify(got.body, got.headers)).not.toThrow();
    expect(receiver.received[0]!.body).toBe(receiver.received[1]!.body);
  });

  it('signs with the replaced secret too while its grace lasts', async () => {
    const previousSecret = newSecret();
    await writerFor({ previousSecret, previousSecretValidUntil: new Date(Date.now() + 60_000) }).write(batch('b', [row('cus_1', 1)]), signal);
    const [got] = receiver.received;
    expect(got!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(secret).verify(got!.body, got!.headers)).not.toThrow();
    expect(() => new Webhook(previousSecret).verify(got!.body, got!.headers)).not.toThrow();

    await writerFor({ previousSecret, previousSecretValidUntil: new Date(Date.now() - 1) }).write(batch('b', [row('cus_1', 1)]), signal);
    const after = receiver.received[1]!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(previousSecret).verify(after.body, after.headers)).toThrow();
  });

  it('sorts answers: 2xx delivered; 408, 429, 5xx retried (honouring Retry-After); 3xx and other 4xx failed attempts', async () => {
    const writer = writerFor();
    const answer = (status: number, headers: Record<string, string> = {}, body = `status ${status}`) => {
      receiver.handler = (_req, res) => res.writeHead(status, headers).end(body);
      return writer.write(batch(`b-${status}`, [row('cus_1', 1)]), signal);
    };
    expect(await answer(200)).toEqual({ status: 200, responseExcerpt: 'status 200' });
    expect(await answer(202)).toEqual({ status: 202, responseExcerpt: 'status 202' });
    expect(await answer(204, {}, '')).toEqual({ status: 204, responseExcerpt: '' });

    const timeoutAnswer = await failure(answer(408));
    expect(timeoutAnswer.options).toMatchObject({ retryable: true, status: 408, responseExcerpt: 'status 408' });
    const limited = await failure(answer(429, { 'retry-after': '7' }));
    expect(limited.options).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7_000 });
    const until = new Date(Date.now() + 120_000);
    const limitedUntil = await failure(answer(429, { 'retry-after': until.toUTCString() }));
    expect(limitedUntil.options.retryAfterMs).toBeGreaterThan(115_000);
    expect(limitedUntil.options.retryAfterMs).toBeLessThanOrEqual(120_000);
    expect((await failure(answer(429, { 'retry-after': 'soon' }))).options).toEqual({ retryable: true, status: 429, responseExcerpt: 'status 429' });
    for (const status of [500, 502, 503, 504]) {
      const error = await failure(answer(status));
      expect(error.options, String(status)).toMatchObject({ retryable: true, status, responseExcerpt: `status ${status}` });
      expect(error.message).toMatch(new RegExp(`answered ${status}$`));
    }
    for (const status of [400, 401, 403, 404, 410, 413, 422]) {
      expect((await failure(answer(status))).options, String(status)).toMatchObject({ retryable: false, status, responseExcerpt: `status ${status}` });
    }

    // A redirect is a failed attempt: its target is never asked.
    for (const status of [301, 302, 307, 308]) {
      const redirected = await failure(answer(status, { location: `${receiver.url}/elsewhere` }));
      expect(redirected.options, String(status)).toMatchObject({ retryable: false, status });
      expect(redirected.message).toMatch(/redirects are not followed/);
    }
    expect(receiver.received.map((r) => r.url)).not.toContain('/elsewhere');
  });

  it('gives up after timeout_ms, and at once when the runner stops it', async () => {
    const pending: ServerResponse[] = [];
    receiver.handler = (_req, res) => void pending.push(res); // never answers
    const writer = writerFor({ timeoutMs: 1_000 });
    const started = Date.now();
    const timedOut = await failure(writer.write(batch('slow', [row('cus_1', 1)]), signal));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(timedOut.options.retryable).toBe(true);
    expect(timedOut.message).toMatch(/^no answer from 127\.0\.0\.1:\d+ within 1000 ms$/);

    // Headers sent, then a body that never ends: the timeout covers it too.
    receiver.handler = (_req, res) => {
      res.writeHead(500);
      res.write('partial');
      pending.push(res);
    };
    expect((await failure(writer.write(batch('slow-body', [row('cus_1', 1)]), signal))).options).toMatchObject({ retryable: true, status: 500, responseExcerpt: 'partial' });

    receiver.handler = (_req, res) => void pending.push(res);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const stopped = await failure(writerFor({ timeoutMs: 60_000 }).write(batch('stopped', [row('cus_1', 1)]), stop.signal));
    expect([stopped.message, stopped.options.retryable]).toEqual(['delivery stopped', true]);
    for (const res of pending) res.destroy();
  });

  it('retries a refused connection, and a host the egress policy refuses without connecting', async () => {
    const port = await freePort();
    const refused = await failure(writerFor({ url: `http://127.0.0.1:${port}/hooks` }).write(batch('b', [row('cus_1', 1)]), signal));
    expect(refused.options.retryable).toBe(true);
    expect(refused.message).toBe(`cannot deliver to 127.0.0.1:${port}: connection refused`);
    expect(refused.options.status).toBeUndefined();

    const strict = webhookWriter({ ...target, url: `${receiver.url}/hooks` }, { dispatcher: egressDispatcher({ SYNCLINE_EGRESS_ALLOW: '' }) });
    const egress = await failure(strict.write(batch('b', [row('cus_1', 1)]), signal));
    expect(egress.options.retryable).toBe(true);
    expect(egress.message).toMatch(/egress policy refused a connection to 127\.0\.0\.1: it is or resolves to a loopback address/);
    expect(receiver.received).toHaveLength(0);
  });

  it('reads only the excerpt of a large answer, and drops the rest unread', async () => {
    let sent = 0;
    let closed = false;
    receiver.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.on('close', () => (closed = true));
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        // An endless answer: it only ends when the client goes away.
        while (!closed && sent < 512 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    };
    const result = await writerFor().write(batch('large', [row('cus_1', 1)]), signal);
    expect(result).toEqual({ status: 200, responseExcerpt: 'x'.repeat(EXCERPT_BYTES) });
    await expect.poll(() => closed, { timeout: 5_000 }).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);

    // Bytes PostgreSQL cannot store, and a character cut by the limit, come out storable.
    receiver.handler = (_req, res) => res.writeHead(400).end(`a\u0000b${'é'.repeat(EXCERPT_BYTES)}`);
    const excerpt = (await failure(writerFor().write(batch('odd', [row('cus_1', 1)]), signal))).options.responseExcerpt!;
    expect(excerpt.startsWith('a\ufffdb')).toBe(true);
    expect(excerpt).not.toContain('\u0000');
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(EXCERPT_BYTES + 2);
  });
});
