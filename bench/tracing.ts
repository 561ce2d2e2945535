import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { restClient } from '../test/support/api.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { createBenchSync, waitForBackfillDone } from './support/bench-sync.ts';
import { drainHttpConsumer } from './support/http-drain.ts';
import { BENCH_TOKEN, startEmulator, startServer, stopServer, type EmulatorProcess } from './support/processes.ts';
import { median } from './support/stats.ts';

/** Rounds per mode: with three, the medians of runs of one build moved by ±15 % (docs/BENCHMARKS.md). */
export const TRACING_ROUNDS = 5;
type Mode = 'off' | 'on';

export interface TracingResult {
  records: number;
  /** Medians over the rounds. */
  ingest: Record<Mode, number>;
  consume: Record<Mode, number>;
  /**
   * The server process's CPU time (user + system) per 1,000 records ingested / consumed: less
   * moved by other work on a shared machine than the throughputs, which wait for the CPU.
   */
  ingestCpuMs: Record<Mode, number>;
  consumeCpuMs: Record<Mode, number>;
  /** What the OTLP receiver took while tracing was on. */
  exported: { requests: number; bytes: number };
  rounds: ({ mode: Mode } & Measured)[];
}


/**
 * The cost of tracing (docs/OPERATIONS.md "Traces"): the ingest and consume figures of
 * `bench/ingest.ts` and `bench/consume.ts` (one emulator of `size` customers → a sync on the
 * built server → 4 workers draining an HTTP consumer with /next batch 100 + /ack), with tracing
 * off (no OTEL_* variable) and on (OTEL_EXPORTER_OTLP_ENDPOINT: the Node SDK exports every span
 * over OTLP/HTTP to a loopback receiver that accepts POST /v1/traces). Each mode on a fresh
 * database and server, TRACING_ROUNDS times, the order alternating; medians compared.
 */
export async function benchTracing(size: number, log: (message: string) => void): Promise<TracingResult> {
  const receiver = await otlpReceiver();
  const emulator = await startEmulator(size);
  const rounds: TracingResult['rounds'] = [];
  try {
    for (let round = 0; round < TRACING_ROUNDS; round++) {
      const modes: Mode[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of modes) {
        const measured = await measure(emulator, size, mode === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_EXPORTER: undefined } : { OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_TRACES_EXPORTER: undefined });
        log(
          `tracing ${mode}, round ${round + 1}: ingest ${Math.round(measured.ingestRecordsPerSecond)} rec/s (${Math.round(measured.ingestCpuMsPerThousand)} CPU ms / 1,000), ` +
            `consume ${Math.round(measured.consumeMessagesPerSecond)} msgs/s (${Math.round(measured.consumeCpuMsPerThousand)} CPU ms / 1,000)`,
        );
        rounds.push({ mode, ...measured });
      }
    }
  } finally {
    await emulator.stop();
    await receiver.close();
  }
  const of = (mode: Mode, figure: keyof Measured) => median(rounds.filter((r) => r.mode === mode).map((r) => r[figure]));
  return {
    records: size,
    ingest: { off: of('off', 'ingestRecordsPerSecond'), on: of('on', 'ingestRecordsPerSecond') },
    consume: { off: of('off', 'consumeMessagesPerSecond'), on: of('on', 'consumeMessagesPerSecond') },
    ingestCpuMs: { off: of('off', 'ingestCpuMsPerThousand'), on: of('on', 'ingestCpuMsPerThousand') },
    consumeCpuMs: { off: of('off', 'consumeCpuMsPerThousand'), on: of('on', 'consumeCpuMsPerThousand') },
    exported: { requests: receiver.requests, bytes: receiver.bytes },
    rounds,
  };
}

interface Measured {
  ingestRecordsPerSecond: number;
  consumeMessagesPerSecond: number;
  ingestCpuMsPerThousand: number;
  consumeCpuMsPerThousand: number;
}

/** CPU time (user + system) a process used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measure(emulator: EmulatorProcess, size: number, env: Record<string, string | undefined>): Promise<Measured> {
  const database = await createTestDatabase();
  const server = await startServer(database.url, env);
  try {
    const api = restClient(server.url, BENCH_TOKEN);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url });
    const pid = server.child.pid!;
    const cpuBefore = await cpuMs(pid);
    const started = performance.now();
    const sync = await createBenchSync(api, credential.body.id, 'bench');
    await waitForBackfillDone(database.url, sync.id, 50);
    const ingestRecordsPerSecond = size / ((performance.now() - started) / 1000);
    const cpuIngested = await cpuMs(pid);
    const consumer = await api.post('/v1/http-consumers', { name: `bench-${randomUUID().slice(0, 8)}`, sync_id: sync.id });
    if (consumer.status !== 201) throw new Error(`consumer: ${JSON.stringify(consumer.body)}`);
    const { delivered, seconds } = await drainHttpConsumer([server.url], BENCH_TOKEN, consumer.body.id, size, { workers: 4, batch: 100 });
    if (delivered < size) throw new Error(`consume: ${delivered} of ${size} delivered`);
    const cpuConsumed = await cpuMs(pid);
    return {
      ingestRecordsPerSecond,
      consumeMessagesPerSecond: delivered / seconds,
      ingestCpuMsPerThousand: ((cpuIngested - cpuBefore) / size) * 1000,
      consumeCpuMsPerThousand: ((cpuConsumed - cpuIngested) / delivered) * 1000,
    };
  } finally {
    await stopServer(server.child);
    await database.drop();
  }
}

/** A loopback OTLP/HTTP receiver: takes every POST /v1/traces whole and answers 200, as a collector does. */
async function otlpReceiver() {
  let requests = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      requests++;
      res.writeHead(req.method === 'POST' && req.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests;
    },
    get bytes() {
      return bytes;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
