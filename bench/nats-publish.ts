import { randomUUID } from 'node:crypto';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { restClient } from '../test/support/api.ts';
import { seedRecords } from '../test/support/seed-records.ts';
import { ROOT_TOKEN, type TestServer } from '../test/support/server.ts';

/** The publisher's window: it sends a batch of 500 and awaits every ack before the next. */
const WINDOW = 500;

export interface NatsPublishResult {
  messages: number;
  messagesPerSecond: number;
  baselineMessagesPerSecond: number;
}

/**
 * Records → JetStream through a NATS consumer, msgs/s from the consumer's creation until the
 * stream holds every record. Baseline: nats.js publishing the same payloads with the same
 * publish-ack window, to a stream of its own on the same server.
 */
export async function benchNatsPublish(server: TestServer, natsUrl: string, count: number): Promise<NatsPublishResult> {
  const api = restClient(server.url, ROOT_TOKEN);
  const tag = randomUUID().slice(0, 8);
  const streamId = (await api.post('/v1/streams', { name: `nats-${tag}` })).body.id as string;
  const syncId = randomUUID();
  await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, Array.from({ length: count }, (_, i) => ({ id: `cus_${i}`, data: sampleCustomer(i) })));

  const nc = await connect({ servers: natsUrl });
  const jsm = await nc.jetstreamManager();
  const [host, port] = natsUrl.split(':');
  const name = `BENCH_PUB_${tag}`;
  try {
    await jsm.streams.add({ name, subjects: [`benchpub-${tag}.>`] });
    const started = performance.now();
    const consumer = await api.post('/v1/nats_consumers', { name: `bench-${tag}`, stream_id: streamId, subject_prefix: `benchpub-${tag}`, nats: { host, port: Number(port ?? 4222) } });
    if (consumer.status !== 201) throw new Error(`nats consumer: ${JSON.stringify(consumer.body)}`);
    await waitForMessages(jsm, name, count);
    const seconds = (performance.now() - started) / 1000;
    await api.delete(`/v1/nats_consumers/${consumer.body.id}`);
    const payload = JSON.stringify({ sync_id: syncId, collection_id: 'stripe:customer', upstream_id: 'cus_0', updated_idx: 1, data: sampleCustomer(0) });
    return { messages: count, messagesPerSecond: count / seconds, baselineMessagesPerSecond: await baselinePublish(nc, jsm, tag, count, payload) };
  } finally {
    await jsm.streams.delete(name).catch(() => undefined);
    await nc.drain();
  }
}

async function waitForMessages(jsm: JetStreamManager, stream: string, count: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const info = await jsm.streams.info(stream);
    if (info.state.messages >= count) return;
    if (Date.now() > deadline) throw new Error(`stream ${stream} holds ${info.state.messages} of ${count} messages`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function baselinePublish(nc: NatsConnection, jsm: JetStreamManager, tag: string, count: number, payload: string): Promise<number> {
  const name = `BENCH_PUB_BASE_${tag}`;
  await jsm.streams.add({ name, subjects: [`benchbase-${tag}.>`] });
  try {
    const js = nc.jetstream();
    const data = new TextEncoder().encode(payload);
    const started = performance.now();
    for (let i = 0; i < count; i += WINDOW) {
      await Promise.all(Array.from({ length: Math.min(WINDOW, count - i) }, (_, j) => js.publish(`benchbase-${tag}.cus_${i + j}`, data, { msgID: `${tag}:${i + j}` })));
    }
    return count / ((performance.now() - started) / 1000);
  } finally {
    await jsm.streams.delete(name).catch(() => undefined);
  }
}

function sampleCustomer(i: number) {
  return { id: `cus_${i}`, object: 'customer', email: `customer${i}@example.com`, name: `Customer ${i}`, balance: 0, created: 1700000000 + i, livemode: false, metadata: { n: String(i) } };
}
