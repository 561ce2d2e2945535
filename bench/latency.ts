import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { connect } from 'nats';
import WebSocket from 'ws';
import { appendRecords } from '../src/sync/ingest/append-records.ts';
import { restClient } from '../test/support/api.ts';
import { ROOT_TOKEN, type TestServer } from '../test/support/server.ts';
import { latencySummary } from './support/stats.ts';

export interface LatencyResult {
  changes: number;
  graphqlWs: { p50: number; p99: number; max: number };
  nats: { p50: number; p99: number; max: number };
}

/**
 * Record committed → delivered to a graphql-ws subscriber and to a NATS subscriber (through a
 * NATS consumer publishing to JetStream), over `changes` changes written one at a time through
 * the record writer. Measured from the start of the append (so it includes the commit) to the
 * message's arrival at a real WebSocket / NATS client.
 */
export async function benchLatency(server: TestServer, changes: number, natsUrl: string): Promise<LatencyResult> {
  const api = restClient(server.url, ROOT_TOKEN);
  const stream = await api.post('/v1/streams', { name: `latency-${randomUUID().slice(0, 8)}` });
  const streamId = stream.body.id as string;
  const syncId = randomUUID();
  const samples: number[] = [];
  const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ROOT_TOKEN}` } });
  const unsubscribe = client.subscribe(
    { query: 'subscription($s: ID!) { recordChanged(streamId: $s) { data } }', variables: { s: streamId } },
    {
      next: (value: any) => samples.push(performance.now() - value.data.recordChanged.data.sentAt),
      error: (error) => console.error('subscription failed', error),
      complete: () => undefined,
    },
  );
  const tag = randomUUID().slice(0, 8);
  const nc = await connect({ servers: natsUrl });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: `BENCH_LATENCY_${tag}`, subjects: [`benchlat-${tag}.>`] });
  const natsSamples: number[] = [];
  const subscription = nc.subscribe(`benchlat-${tag}.>`, {
    callback: (_error, message) => natsSamples.push(performance.now() - (message.json() as { data: { sentAt: number } }).data.sentAt),
  });
  const [host, port] = natsUrl.split(':');
  const natsConsumer = await api.post('/v1/nats_consumers', { name: `latency-${tag}`, stream_id: streamId, subject_prefix: `benchlat-${tag}`, nats: { host, port: Number(port ?? 4222) } });
  if (natsConsumer.status !== 201) throw new Error(`nats consumer: ${JSON.stringify(natsConsumer.body)}`);
  await new Promise((r) => setTimeout(r, 1500)); // subscriber and publisher ready before the first change
  for (let i = 0; i < changes; i++) {
    await appendRecords(server.app.ctx, {
      syncId,
      streamId,
      collectionId: 'bench:latency',
      source: 'changes',
      objects: [{ upstreamId: `obj_${i % 1000}`, data: { id: `obj_${i % 1000}`, i, sentAt: performance.now() }, upstreamCreatedAt: null, upstreamUpdatedAt: null, deleted: false }],
    });
  }
  const deadline = Date.now() + 30_000;
  while ((samples.length < changes || natsSamples.length < changes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  unsubscribe();
  await client.dispose();
  subscription.unsubscribe();
  await api.delete(`/v1/nats_consumers/${natsConsumer.body.id}`);
  await jsm.streams.delete(`BENCH_LATENCY_${tag}`).catch(() => undefined);
  await nc.drain();
  if (samples.length < changes) throw new Error(`graphql-ws subscriber received ${samples.length} of ${changes} changes`);
  if (natsSamples.length < changes) throw new Error(`NATS subscriber received ${natsSamples.length} of ${changes} changes`);
  const summary = (values: number[]) => {
    const { p50, p99, max } = latencySummary(values);
    return { p50, p99, max };
  };
  return { changes, graphqlWs: summary(samples), nats: summary(natsSamples) };
}
