import { randomUUID } from 'node:crypto';
import { appendRecords } from '../src/sync/ingest/append-records.ts';
import { restClient, type RestClient } from '../test/support/api.ts';
import { ROOT_TOKEN, type TestServer } from '../test/support/server.ts';
import { latencySummary } from './support/stats.ts';

const CALLS = 200;
const BATCH = 10;

export interface ScaleResult {
  small: { records: number; p50: number; p99: number };
  large: { records: number; p50: number; p99: number };
  p99Growth: number;
}

/** `/next` (batch 10) + `/ack` latency with `small` and then `large` records in the stream. */
export async function benchScale(server: TestServer, small: number, large: number): Promise<ScaleResult> {
  const api = restClient(server.url, ROOT_TOKEN);
  const streamId = (await api.post('/v1/streams', { name: `scale-${randomUUID().slice(0, 8)}` })).body.id as string;
  const syncId = randomUUID();
  await seed(server, streamId, syncId, 0, small);
  const atSmall = await measureNext(api, streamId);
  await seed(server, streamId, syncId, small, large);
  const atLarge = await measureNext(api, streamId);
  return {
    small: { records: small, ...atSmall },
    large: { records: large, ...atLarge },
    p99Growth: atLarge.p99 / atSmall.p99,
  };
}

async function seed(server: TestServer, streamId: string, syncId: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1000) {
    await appendRecords(server.app.ctx, {
      syncId,
      streamId,
      collectionId: 'bench:scale',
      source: 'backfill',
      objects: Array.from({ length: Math.min(1000, to - i) }, (_, j) => ({
        upstreamId: `obj_${i + j}`,
        data: { id: `obj_${i + j}`, name: `Customer ${i + j}`, email: `customer${i + j}@example.com`, metadata: { n: i + j } },
        upstreamCreatedAt: null,
        upstreamUpdatedAt: null,
        deleted: false,
      })),
    });
  }
}

async function measureNext(api: RestClient, streamId: string) {
  const consumer = await api.post('/v1/http-consumers', { name: `scale-${randomUUID().slice(0, 8)}`, stream_id: streamId });
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    const next = await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: BATCH });
    samples.push(performance.now() - started);
    await api.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: next.body.map((m: { ack_token: string }) => m.ack_token) });
  }
  const { p50, p99 } = latencySummary(samples);
  return { p50, p99 };
}
