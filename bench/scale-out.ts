import { randomUUID } from 'node:crypto';
import { restClient } from '../test/support/api.ts';
import type { ChildServer } from '../test/support/child-server.ts';
import { drainHttpConsumer } from './support/http-drain.ts';
import { createBenchSync, waitForBackfillDone } from './support/bench-sync.ts';
import { BENCH_TOKEN, startEmulator, startServer, stopServer } from './support/processes.ts';

const WORKERS = 4;
const BATCH = 100;
const MAX_INSTANCES = 3;

export interface ScaleOutResult {
  records: number;
  /** Consume throughput with the 4 workers spread over 1, 2 and 3 instances. */
  byInstances: { instances: number; messagesPerSecond: number; seconds: number }[];
}

/**
 * Three Syncline instances (built, as `npm start` runs them) on one PostgreSQL database; `size`
 * Stripe customers ingested once (a sync on the emulator). Then, for 1, 2 and 3 instances, a new
 * HTTP consumer over every record is drained by 4 workers (`/next` batch 100 + `/ack`), worker i
 * talking to instance i mod n. Everything runs on the same machine: the figure shows what
 * spreading the HTTP/JSON work over processes buys when PostgreSQL is shared.
 */
export async function benchScaleOut(databaseUrl: string, size: number): Promise<ScaleOutResult> {
  const servers: ChildServer[] = [await startServer(databaseUrl)];
  servers.push(...(await Promise.all(Array.from({ length: MAX_INSTANCES - 1 }, () => startServer(databaseUrl)))));
  const emulator = await startEmulator(size);
  try {
    const api = restClient(servers[0]!.url, BENCH_TOKEN);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url });
    const sync = await createBenchSync(api, credential.body.id, 'bench scale-out');
    await waitForBackfillDone(databaseUrl, sync.id, 100);
    const byInstances: ScaleOutResult['byInstances'] = [];
    for (let instances = 1; instances <= MAX_INSTANCES; instances++) {
      byInstances.push({ instances, ...(await drain(servers.slice(0, instances), sync.id, size)) });
    }
    return { records: size, byInstances };
  } finally {
    await emulator.stop();
    await Promise.all(servers.map((s) => stopServer(s.child)));
  }
}

async function drain(servers: ChildServer[], syncId: string, expected: number): Promise<{ messagesPerSecond: number; seconds: number }> {
  const api = restClient(servers[0]!.url, BENCH_TOKEN);
  const consumer = await api.post('/v1/http-consumers', { name: `bench-scale-out-${randomUUID().slice(0, 8)}`, sync_id: syncId });
  if (consumer.status !== 201) throw new Error(`consumer: ${JSON.stringify(consumer.body)}`);
  const { delivered, seconds } = await drainHttpConsumer(servers.map((s) => s.url), BENCH_TOKEN, consumer.body.id, expected, { workers: WORKERS, batch: BATCH });
  await api.delete(`/v1/http-consumers/${consumer.body.id}`);
  return { messagesPerSecond: delivered / seconds, seconds };
}
