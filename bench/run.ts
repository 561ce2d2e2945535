/**
 * npm run bench [-- --size 100000 --scale-size 1000000 --changes 10000 --tracing-size 50000 --only ingest,consume,events,nats,latency,scale,sinks,webhooks,tracing,scale-out]
 *
 * Every figure is measured next to its baseline in the same run, on the local PostgreSQL
 * (TEST_DATABASE_URL's server) and NATS (NATS_URL, default 127.0.0.1:4222). Prints a table and
 * writes bench/results.json.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createTestDatabase } from '../test/support/database.ts';
import { startTestServer } from '../test/support/server.ts';
import { benchConsume, benchConsumeEvents } from './consume.ts';
import { benchIngest } from './ingest.ts';
import { benchLatency } from './latency.ts';
import { benchNatsPublish } from './nats-publish.ts';
import { benchScale } from './scale.ts';
import { startServer, stopServer } from './support/processes.ts';
import { benchScaleOut } from './scale-out.ts';
import { benchPostgresSink, benchWebhookDelivery, benchWebhookLatency } from './push-sinks.ts';
import { benchProviderWebhookLatency } from './provider-webhook-latency.ts';
import { benchTracing, TRACING_ROUNDS } from './tracing.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100000' },
    'scale-size': { type: 'string', default: '1000000' },
    changes: { type: 'string', default: '10000' },
    'tracing-size': { type: 'string', default: '50000' },
    only: { type: 'string', default: 'ingest,consume,events,nats,latency,scale,sinks,webhooks,tracing' },
  },
});
const size = Number(values.size);
const scaleSize = Number(values['scale-size']);
const changes = Number(values.changes);
const tracingSize = Number(values['tracing-size']);
const only = new Set(values.only!.split(','));
const natsUrl = process.env.NATS_URL ?? '127.0.0.1:4222';

interface Row {
  figure: string;
  syncline: string;
  baseline: string;
  ratio: string;
  target: string;
}
const rows: Row[] = [];
const results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  at: new Date().toISOString(),
  parameters: { size, scaleSize, changes },
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function setDatabaseLogging(url: string, ms: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET log_min_duration_statement = ${Math.trunc(ms)}`);
  } finally {
    await client.end();
  }
}

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main() {
  if (only.has('ingest') || only.has('consume') || only.has('events')) {
    const database = await createTestDatabase();
    // BENCH_PG_LOG_MS=<ms>: PostgreSQL logs the bench database's statements slower than that (its server log).
    if (process.env.BENCH_PG_LOG_MS) await setDatabaseLogging(database.url, Number(process.env.BENCH_PG_LOG_MS));
    const server = await startServer(database.url);
    try {
      log(`ingest: ${fmt(size)} Stripe customers from the emulator`);
      const ingest = await benchIngest(server, database.url, size);
      results.ingest = ingest;
      rows.push({
        figure: `ingest ${fmt(size)} records (rec/s)`,
        syncline: fmt(ingest.recordsPerSecond),
        baseline: `${fmt(ingest.baselineRecordsPerSecond)} (pg batched upsert)`,
        ratio: fmt(ingest.recordsPerSecond / ingest.baselineRecordsPerSecond, 2),
        target: '≥ 0.5',
      });
      rows.push({ figure: `server peak RSS during the ${fmt(size)} backfill (MB)`, syncline: fmt(ingest.peakRssMb), baseline: '-', ratio: '-', target: '≤ 300 at 1M' });
      if (only.has('consume')) {
        log(`consume: 4 workers, /next batch 100 + /ack over ${fmt(size)} records, 3 rounds alternating with the baseline`);
        const consume = await benchConsume(server, ingest.syncId, size, natsUrl);
        results.consume = consume;
        rows.push({
          figure: `consume ${fmt(size)} (msgs/s, 4 workers, median of 3)`,
          syncline: fmt(consume.messagesPerSecond),
          baseline: `${fmt(consume.baselineMessagesPerSecond)} (JetStream pull)`,
          ratio: fmt(consume.messagesPerSecond / consume.baselineMessagesPerSecond, 2),
          target: '≥ 0.5',
        });
      }
      if (only.has('events')) {
        log(`events: 4 workers, /next batch 100 + /ack over ${fmt(size)} versions as change events and as records, 3 rounds alternating`);
        const events = await benchConsumeEvents(server, ingest.syncId, size);
        results.events = events;
        rows.push({
          figure: `consume ${fmt(size)} change events (msgs/s, 4 workers, median of 3)`,
          syncline: fmt(events.eventsPerSecond),
          baseline: `${fmt(events.recordsPerSecond)} (the same versions as records)`,
          ratio: fmt(events.eventsPerSecond / events.recordsPerSecond, 2),
          target: '≥ 0.8',
        });
      }
    } finally {
      await stopServer(server.child);
      await database.drop();
    }
  }

  if (only.has('nats') || only.has('latency') || only.has('scale')) {
    const server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    try {
      if (only.has('nats')) {
        log(`nats: ${fmt(size)} records → JetStream through a NATS consumer`);
        const nats = await benchNatsPublish(server, natsUrl, size);
        results.nats = nats;
        rows.push({
          figure: `NATS publish ${fmt(size)} (msgs/s)`,
          syncline: fmt(nats.messagesPerSecond),
          baseline: `${fmt(nats.baselineMessagesPerSecond)} (nats.js, same ack window)`,
          ratio: fmt(nats.messagesPerSecond / nats.baselineMessagesPerSecond, 2),
          target: '-',
        });
      }
      if (only.has('latency')) {
        log(`latency: ${fmt(changes)} changes → graphql-ws and NATS subscribers`);
        const latency = await benchLatency(server, changes, natsUrl);
        results.latency = latency;
        rows.push({
          figure: `commit → graphql-ws p50 / p99 (ms)`,
          syncline: `${fmt(latency.graphqlWs.p50, 2)} / ${fmt(latency.graphqlWs.p99, 2)}`,
          baseline: '-',
          ratio: '-',
          target: 'p99 ≤ 20',
        });
        rows.push({
          figure: `commit → NATS subscriber p50 / p99 (ms)`,
          syncline: `${fmt(latency.nats.p50, 2)} / ${fmt(latency.nats.p99, 2)}`,
          baseline: '-',
          ratio: '-',
          target: 'p99 ≤ 20',
        });
      }
      if (only.has('scale')) {
        log(`scale: /next latency at 10,000 and ${fmt(scaleSize)} records`);
        const scale = await benchScale(server, 10_000, scaleSize);
        results.scale = scale;
        rows.push({
          figure: `/next p50 / p99 at ${fmt(scale.large.records)} records (ms)`,
          syncline: `${fmt(scale.large.p50, 2)} / ${fmt(scale.large.p99, 2)}`,
          baseline: `${fmt(scale.small.p50, 2)} / ${fmt(scale.small.p99, 2)} at ${fmt(scale.small.records)}`,
          ratio: fmt(scale.p99Growth, 2),
          target: 'p99 growth ≤ 1.5',
        });
      }
    } finally {
      await server.stop();
    }
  }

  if (only.has('sinks')) {
    const server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    try {
      log(`sinks: ${fmt(size)} records → a webhook receiver (batch 100) and → a PostgreSQL table; ${fmt(Math.min(changes, 2000))} changes → webhook (batch 1)`);
      const webhook = await benchWebhookDelivery(server, size);
      results.webhook = webhook;
      log(`webhook delivery, warm-up (not counted): ${fmt(webhook.warmUp.recordsPerSecond)} rec/s, baseline ${fmt(webhook.warmUp.baselineRecordsPerSecond)}`);
      webhook.rounds.forEach((r, i) => log(`webhook delivery, round ${i + 1}: ${fmt(r.recordsPerSecond)} rec/s, baseline ${fmt(r.baselineRecordsPerSecond)}`));
      rows.push({
        figure: `webhook delivery ${fmt(size)} (rec/s, batch 100, median of ${webhook.rounds.length})`,
        syncline: fmt(webhook.recordsPerSecond),
        baseline: `${fmt(webhook.baselineRecordsPerSecond)} (node:http, same batches)`,
        ratio: fmt(webhook.recordsPerSecond / webhook.baselineRecordsPerSecond, 2),
        target: '≥ 0.5',
      });
      const postgres = await benchPostgresSink(server, size);
      results.postgresSink = postgres;
      rows.push({
        figure: `PostgreSQL sink ${fmt(size)} (rec/s)`,
        syncline: fmt(postgres.recordsPerSecond),
        baseline: `${fmt(postgres.baselineRecordsPerSecond)} (pg upsert, same batches)`,
        ratio: fmt(postgres.recordsPerSecond / postgres.baselineRecordsPerSecond, 2),
        target: '≥ 0.5',
      });
      const latency = await benchWebhookLatency(server, Math.min(changes, 2000));
      results.webhookLatency = latency;
      rows.push({ figure: 'change → webhook receiver p50 / p99 (ms)', syncline: `${fmt(latency.p50, 2)} / ${fmt(latency.p99, 2)}`, baseline: '-', ratio: '-', target: 'p99 ≤ 50' });
    } finally {
      await server.stop();
    }
  }

  if (only.has('webhooks')) {
    const count = Math.min(changes, 200);
    log(`webhooks: ${fmt(count)} Stripe emulator changes → graphql-ws and /next, through Stripe's webhook, beside polling at the default interval`);
    const latency = await benchProviderWebhookLatency(count);
    results.providerWebhookLatency = latency;
    if (!latency) {
      log('webhooks: skipped, the Stripe provider has no webhooks');
    } else {
      const { webhook, polling } = latency;
      const pair = (s: { p50: number; p99: number }) => `${fmt(s.p50, 1)} / ${fmt(s.p99, 1)}`;
      const by = `by polling every ${fmt(polling.pollIntervalMs)} ms`;
      rows.push({ figure: 'upstream change → graphql-ws via webhook p50 / p99 (ms)', syncline: pair(webhook.graphqlWs), baseline: `${pair(polling.graphqlWs)} ${by}`, ratio: fmt(polling.graphqlWs.p99 / webhook.graphqlWs.p99, 1), target: 'p99 ≤ 250' });
      rows.push({ figure: 'upstream change → /next via webhook p50 / p99 (ms)', syncline: pair(webhook.next), baseline: `${pair(polling.next)} ${by}`, ratio: fmt(polling.next.p99 / webhook.next.p99, 1), target: 'p99 ≤ 250' });
    }
  }

  if (only.has('scale-out')) {
    const database = await createTestDatabase();
    try {
      log(`scale-out: consume ${fmt(size)} records with 4 workers over 1, 2 and 3 instances on one database`);
      const scaleOut = await benchScaleOut(database.url, size);
      results.scaleOut = scaleOut;
      const one = scaleOut.byInstances[0]!.messagesPerSecond;
      for (const { instances, messagesPerSecond } of scaleOut.byInstances) {
        rows.push({ figure: `consume ${fmt(size)}, ${instances} instance(s) (msgs/s)`, syncline: fmt(messagesPerSecond), baseline: `${fmt(one)} (1 instance)`, ratio: fmt(messagesPerSecond / one, 2), target: '-' });
      }
    } finally {
      await database.drop();
    }
  }

  if (only.has('tracing')) {
    log(`tracing: ingest and consume of ${fmt(tracingSize)} records with tracing on (OTLP to a loopback receiver) beside off, ${TRACING_ROUNDS} rounds each, alternating`);
    const tracing = await benchTracing(tracingSize, log);
    results.tracing = tracing;
    const pair = (figure: string, on: number, off: number) =>
      rows.push({ figure, syncline: fmt(on), baseline: `${fmt(off)} (tracing off)`, ratio: fmt(on / off, 2), target: '≥ 0.9' });
    pair(`ingest ${fmt(tracingSize)}, tracing on (rec/s, median of ${TRACING_ROUNDS})`, tracing.ingest.on, tracing.ingest.off);
    pair(`consume ${fmt(tracingSize)}, tracing on (msgs/s, median of ${TRACING_ROUNDS})`, tracing.consume.on, tracing.consume.off);
    // CPU per record: lower is better, so the ratio is off / on.
    const cpu = (figure: string, on: number, off: number) =>
      rows.push({ figure, syncline: fmt(on, 1), baseline: `${fmt(off, 1)} (tracing off)`, ratio: fmt(off / on, 2), target: '≥ 0.9' });
    cpu(`server CPU ms per 1,000 ingested, tracing on`, tracing.ingestCpuMs.on, tracing.ingestCpuMs.off);
    cpu(`server CPU ms per 1,000 consumed, tracing on`, tracing.consumeCpuMs.on, tracing.consumeCpuMs.off);
    log(`tracing: the OTLP receiver took ${fmt(tracing.exported.requests)} exports, ${fmt(tracing.exported.bytes / 2 ** 20, 1)} MB`);
  }

  printTable();
  await writeFile(path.join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

function printTable() {
  const headers: Row = { figure: 'figure', syncline: 'syncline', baseline: 'baseline', ratio: 'ratio', target: 'target' };
  const all = [headers, ...rows];
  const keys = Object.keys(headers) as (keyof Row)[];
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  for (const [i, row] of all.entries()) {
    process.stdout.write(`${keys.map((k, j) => row[k].padEnd(widths[j]!)).join(' | ')}\n`);
    if (i === 0) process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('-|-')}\n`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
