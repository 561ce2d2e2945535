import { randomUUID } from 'node:crypto';
import { AckPolicy, connect, type JetStreamManager } from 'nats';
import { restClient } from '../test/support/api.ts';
import type { ChildServer } from '../test/support/child-server.ts';
import { drainHttpConsumer } from './support/http-drain.ts';
import { alternatingRounds, median } from './support/stats.ts';
import { BENCH_TOKEN } from './support/processes.ts';

const WORKERS = 4;
const BATCH = 100;
/** Each side is measured this many times, alternating, and its median reported (see benchConsume). */
const ROUNDS = 3;

export interface ConsumeResult {
  messages: number;
  messagesPerSecond: number;
  baselineMessagesPerSecond: number;
  /** Every round's figures, in the order measured. */
  rounds: { messagesPerSecond: number; baselineMessagesPerSecond: number }[];
}


/**
 * 4 workers drain an HTTP consumer over every record of `syncId` with `/next` (batch 100) + `/ack`.
 * Baseline: nats.js JetStream pull consumer, 4 workers fetching 100 at a time and acking the same
 * number of messages with the same payload size, on the local nats-server.
 *
 * Both are measured ROUNDS times, alternating (a new consumer each round), and each side's
 * median is the figure: on a shared 2-core VM one sample of the JetStream baseline moved by up to
 * 2× between runs minutes apart (docs/BENCHMARKS.md), which a single pair turned into the ratio.
 */
export async function benchConsume(server: ChildServer, syncId: string, expected: number, natsUrl: string): Promise<ConsumeResult> {
  const api = restClient(server.url, BENCH_TOKEN);
  let payload: string | null = null;
  const rounds: ConsumeResult['rounds'] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const consumer = await api.post('/v1/http-consumers', { name: `bench-${randomUUID().slice(0, 8)}`, sync_id: syncId });
    if (consumer.status !== 201) throw new Error(`consumer: ${JSON.stringify(consumer.body)}`);
    if (payload === null) {
      const sample = await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 1 });
      await api.post(`/v1/http-consumers/${consumer.body.id}/nack`, { ack_tokens: [sample.body[0].ack_token] });
      payload = JSON.stringify(sample.body[0].record);
    }
    const { delivered, seconds } = await drainHttpConsumer([server.url], BENCH_TOKEN, consumer.body.id, expected, { workers: WORKERS, batch: BATCH });
    if (delivered < expected) throw new Error(`consume round ${round}: ${delivered} of ${expected} delivered`);
    rounds.push({ messagesPerSecond: delivered / seconds, baselineMessagesPerSecond: await baselineJetStream(natsUrl, expected, payload) });
    await api.delete(`/v1/http-consumers/${consumer.body.id}`);
  }
  return {
    messages: expected,
    messagesPerSecond: median(rounds.map((r) => r.messagesPerSecond)),
    baselineMessagesPerSecond: median(rounds.map((r) => r.baselineMessagesPerSecond)),
    rounds,
  };
}

async function baselineJetStream(natsUrl: string, count: number, payload: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  const jsm: JetStreamManager = await nc.jetstreamManager();
  const name = `BENCH_CONSUME_${randomUUID().slice(0, 8)}`;
  const subject = `bench.${name}`;
  try {
    await jsm.streams.add({ name, subjects: [`${subject}.>`] });
    const js = nc.jetstream();
    const data = new TextEncoder().encode(payload);
    for (let i = 0; i < count; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, j) => js.publish(`${subject}.${i + j}`, data)));
    }
    await jsm.consumers.add(name, { durable_name: 'bench', ack_policy: AckPolicy.Explicit, max_ack_pending: 100_000 });
    const consumer = await js.consumers.get(name, 'bench');
    let received = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (received < count) {
          const batch = await consumer.fetch({ max_messages: BATCH, expires: 1000 });
          for await (const message of batch) {
            received++;
            message.ack();
          }
        }
      }),
    );
    await nc.flush();
    return count / ((performance.now() - started) / 1000);
  } finally {
    await jsm.streams.delete(name).catch(() => undefined);
    await nc.drain();
  }
}

export interface EventsConsumeResult {
  messages: number;
  eventsPerSecond: number;
  recordsPerSecond: number;
  rounds: { eventsPerSecond: number; recordsPerSecond: number }[];
}

/**
 * Change events against records through `/next` (issue 28): the same 4 workers drain a consumer of
 * `message_kind: "event"` and one of records over the same versions (a backfill: one version per
 * record), ROUNDS times alternating, each side's median the figure.
 */
export async function benchConsumeEvents(server: ChildServer, syncId: string, expected: number): Promise<EventsConsumeResult> {
  const api = restClient(server.url, BENCH_TOKEN);
  const drain = async (messageKind: 'record' | 'event') => {
    const consumer = await api.post('/v1/http-consumers', { name: `bench-${messageKind}-${randomUUID().slice(0, 8)}`, sync_id: syncId, message_kind: messageKind });
    if (consumer.status !== 201) throw new Error(`consumer: ${JSON.stringify(consumer.body)}`);
    const { delivered, seconds } = await drainHttpConsumer([server.url], BENCH_TOKEN, consumer.body.id, expected, { workers: WORKERS, batch: BATCH });
    if (delivered < expected) throw new Error(`${messageKind}s: ${delivered} of ${expected} delivered`);
    await api.delete(`/v1/http-consumers/${consumer.body.id}`);
    return delivered / seconds;
  };
  const rounds: EventsConsumeResult['rounds'] = (await alternatingRounds(ROUNDS, () => drain('event'), () => drain('record'))).map(({ a, b }) => ({ eventsPerSecond: a, recordsPerSecond: b }));
  return {
    messages: expected,
    eventsPerSecond: median(rounds.map((r) => r.eventsPerSecond)),
    recordsPerSecond: median(rounds.map((r) => r.recordsPerSecond)),
    rounds,
  };
}
