import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { appendRecords } from '../src/sync/ingest/append-records.ts';
import { restClient } from '../test/support/api.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { seedRecords } from '../test/support/seed-records.ts';
import { ROOT_TOKEN, type TestServer } from '../test/support/server.ts';
import { alternatingRounds, latencySummary, median } from './support/stats.ts';

const BATCH = 100;
const COLLECTION = 'stripe:customer';

export interface ThroughputResult {
  records: number;
  recordsPerSecond: number;
  baselineRecordsPerSecond: number;
}

export interface WebhookLatencyResult {
  changes: number;
  p50: number;
  p99: number;
  max: number;
}

/** A receiver that answers 204 at once and counts the records of each `{"data": […]}` body. */
async function startReceiver(onRecords: (records: Array<{ data: Record<string, unknown> }>) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(204).end();
      onRecords((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: Array<{ data: Record<string, unknown> }> }).data);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until(done: () => boolean, what: () => string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function seededStream(server: TestServer, count: number, prefix: string): Promise<{ streamId: string; syncId: string }> {
  const api = restClient(server.url, ROOT_TOKEN);
  const streamId = (await api.post('/v1/streams', { name: `${prefix}-${randomUUID().slice(0, 8)}` })).body.id as string;
  const syncId = randomUUID();
  await seedRecords(server.app.ctx, { syncId, streamId, collectionId: COLLECTION }, Array.from({ length: count }, (_, i) => ({ id: `cus_${i}`, data: sampleCustomer(i) })));
  return { streamId, syncId };
}

/**
 * Rounds of the webhook figure: each side's median, the order alternating (as the consume figures).
 * Five: with three, the ratio of two runs of one build an hour apart read 0.35 and 0.60 (the
 * baseline alone moved between 65,000 and 160,000 rec/s on this 2-core machine, docs/BENCHMARKS.md).
 */
const WEBHOOK_ROUNDS = 5;

/**
 * `count` records → a local receiver through a webhook consumer (batch 100, one batch in flight),
 * from the consumer's creation until the receiver holds every record. Baseline: node:http with a
 * keep-alive agent POSTing the same bodies, one at a time, to the same receiver. One warm-up round
 * of each side first, not counted: the first round of either side runs its code cold (Syncline's
 * was the slowest of every run, 20–25 % below the others). Then WEBHOOK_ROUNDS rounds (a new
 * consumer each), alternating which side goes first, medians.
 */
type Round = { recordsPerSecond: number; baselineRecordsPerSecond: number };

export async function benchWebhookDelivery(server: TestServer, count: number): Promise<ThroughputResult & { rounds: Round[]; warmUp: Round }> {
  const api = restClient(server.url, ROOT_TOKEN);
  const { streamId, syncId } = await seededStream(server, count, 'webhook');
  let received = 0;
  const receiver = await startReceiver((records) => (received += records.length));
  const syncline = async () => {
    received = 0;
    const started = performance.now();
    const consumer = await api.post('/v1/webhook-consumers', { name: `bench-${randomUUID().slice(0, 8)}`, stream_id: streamId, url: receiver.url, batch_size: BATCH });
    if (consumer.status !== 201) throw new Error(`webhook consumer: ${JSON.stringify(consumer.body)}`);
    await until(() => received >= count, () => `the receiver got ${received} of ${count} records`);
    const seconds = (performance.now() - started) / 1000;
    await api.delete(`/v1/webhook-consumers/${consumer.body.id}`);
    return count / seconds;
  };
  const baseline = async () => {
    received = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const started = performance.now();
    for (let i = 0; i < count; i += BATCH) {
      const body = JSON.stringify({ data: Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => recordShape(syncId, i + j)) });
      await post(agent, receiver.url, body);
    }
    await until(() => received >= count, () => `the baseline receiver got ${received} of ${count} records`);
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    return count / seconds;
  };
  try {
    const warmUp = { recordsPerSecond: await syncline(), baselineRecordsPerSecond: await baseline() };
    const rounds = (await alternatingRounds(WEBHOOK_ROUNDS, syncline, baseline)).map(({ a, b }) => ({ recordsPerSecond: a, baselineRecordsPerSecond: b }));
    return {
      records: count,
      recordsPerSecond: median(rounds.map((r) => r.recordsPerSecond)),
      baselineRecordsPerSecond: median(rounds.map((r) => r.baselineRecordsPerSecond)),
      rounds,
      warmUp,
    };
  } finally {
    await receiver.close();
  }
}

function post(agent: http.Agent, url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`receiver answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Change → webhook receiver, batch 1, receiver answering at once: from the start of the append
 * (so the commit counts) to the record's arrival at the receiver.
 */
export async function benchWebhookLatency(server: TestServer, changes: number): Promise<WebhookLatencyResult> {
  const api = restClient(server.url, ROOT_TOKEN);
  const streamId = (await api.post('/v1/streams', { name: `webhook-latency-${randomUUID().slice(0, 8)}` })).body.id as string;
  const syncId = randomUUID();
  const samples: number[] = [];
  const receiver = await startReceiver((records) => {
    for (const record of records) samples.push(performance.now() - Number(record.data.sentAt));
  });
  try {
    const consumer = await api.post('/v1/webhook-consumers', { name: `latency-${randomUUID().slice(0, 8)}`, stream_id: streamId, url: receiver.url, batch_size: 1 });
    if (consumer.status !== 201) throw new Error(`webhook consumer: ${JSON.stringify(consumer.body)}`);
    await new Promise((r) => setTimeout(r, 1500)); // the runner started before the first change
    for (let i = 0; i < changes; i++) {
      await appendRecords(server.app.ctx, {
        syncId,
        streamId,
        collectionId: 'bench:latency',
        source: 'changes',
        objects: [{ upstreamId: `obj_${i % 1000}`, data: { id: `obj_${i % 1000}`, i, sentAt: performance.now() }, upstreamCreatedAt: null, upstreamUpdatedAt: null, deleted: false }],
      });
      // One change at a time, as a quiet sync produces them: the next once this one arrived.
      await until(() => samples.length > i, () => `the receiver got ${samples.length} of ${i + 1} changes`, 30_000);
    }
    await api.delete(`/v1/webhook-consumers/${consumer.body.id}`);
  } finally {
    await receiver.close();
  }
  const { p50, p99, max } = latencySummary(samples);
  return { changes, p50, p99, max };
}

const TABLE_COLUMNS = `sync_id text NOT NULL, collection_id text NOT NULL, upstream_id text NOT NULL, updated_idx bigint NOT NULL,
  upstream_created_at timestamptz, upstream_updated_at timestamptz, deleted boolean NOT NULL, data jsonb NOT NULL,
  inserted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sync_id, collection_id, upstream_id)`;

/**
 * `count` records → a table of a separate database through a PostgreSQL consumer, until the table
 * holds every record. Baseline: `pg` upserting the same rows in batches of the consumer's size
 * (one transaction each, the same ON CONFLICT guard) into the same kind of table.
 */
export async function benchPostgresSink(server: TestServer, count: number): Promise<ThroughputResult> {
  const api = restClient(server.url, ROOT_TOKEN);
  const { streamId, syncId } = await seededStream(server, count, 'pgsink');
  const target = await createTestDatabase();
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    const started = performance.now();
    const consumer = await api.post('/v1/postgres-consumers', { name: `bench-${randomUUID().slice(0, 8)}`, stream_id: streamId, connection: { url: target.url }, table: 'public.sink_records' });
    if (consumer.status !== 201) throw new Error(`postgres consumer: ${JSON.stringify(consumer.body)}`);
    const tableRows = async () => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM public.sink_records')).rows[0]!.n);
    for (let rows = 0, deadline = Date.now() + 600_000; rows < count; rows = await tableRows()) {
      if (Date.now() > deadline) throw new Error(`the table holds ${rows} of ${count} rows`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const batch = Number(consumer.body.batch_size ?? 500);
    await api.delete(`/v1/postgres-consumers/${consumer.body.id}`);

    await client.query(`CREATE TABLE public.baseline_records (${TABLE_COLUMNS})`);
    const baselineStarted = performance.now();
    for (let i = 0; i < count; i += batch) {
      const rowsJson = JSON.stringify(Array.from({ length: Math.min(batch, count - i) }, (_, j) => recordShape(syncId, i + j)));
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO public.baseline_records AS t (sync_id, collection_id, upstream_id, updated_idx, upstream_created_at, upstream_updated_at, deleted, data)
         SELECT r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.upstream_created_at, r.upstream_updated_at, r.deleted, r.data
         FROM jsonb_to_recordset($1::jsonb) AS r(sync_id text, collection_id text, upstream_id text, updated_idx bigint, upstream_created_at timestamptz, upstream_updated_at timestamptz, deleted boolean, data jsonb)
         ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET updated_idx = excluded.updated_idx, upstream_created_at = excluded.upstream_created_at,
           upstream_updated_at = excluded.upstream_updated_at, deleted = excluded.deleted, data = excluded.data
         WHERE excluded.updated_idx > t.updated_idx`,
        [rowsJson],
      );
      await client.query('COMMIT');
    }
    const baselineSeconds = (performance.now() - baselineStarted) / 1000;
    return { records: count, recordsPerSecond: count / seconds, baselineRecordsPerSecond: count / baselineSeconds };
  } finally {
    await client.end();
    await target.drop();
  }
}

function recordShape(syncId: string, i: number) {
  return {
    sync_id: syncId,
    collection_id: COLLECTION,
    upstream_id: `cus_${i}`,
    updated_idx: i + 1,
    upstream_created_at: '2024-11-10T18:38:00.070Z',
    upstream_updated_at: new Date().toISOString(),
    deleted: false,
    data: sampleCustomer(i),
  };
}

function sampleCustomer(i: number) {
  return { id: `cus_${i}`, object: 'customer', email: `customer${i}@example.com`, name: `Customer ${i}`, balance: 0, created: 1700000000 + i, livemode: false, metadata: { n: String(i) } };
}
