import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { DEFAULT_POLL_INTERVAL_MS } from '../src/commands/poll-interval.ts';
import { startStripeEmulator, type StripeEmulator } from '../src/emulators/stripe/index.ts';
import { requireProvider } from '../src/sync/providers/registry.ts';
import { restClient, type RestClient } from '../test/support/api.ts';
import { freePort } from '../test/support/free-port.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../test/support/server.ts';
import { latencySummary } from './support/stats.ts';

type Summary = { p50: number; p99: number; max: number; count: number };

export interface DeliveryLatency {
  changes: number;
  graphqlWs: Summary;
  next: Summary;
}

export interface ProviderWebhookLatencyResult {
  webhook: DeliveryLatency;
  polling: DeliveryLatency & { pollIntervalMs: number };
}

const ARRIVAL_TIMEOUT_MS = 30_000;

/**
 * Upstream change → a graphql-ws subscriber and an HTTP consumer's `/next` long-poll (issue 24):
 * a customer updated on the Stripe emulator (the clock starts before the update's request) reaches
 * both through Stripe's webhook (the emulator sends it to the endpoint Syncline registered through
 * its API; the sync polls once an hour, so only the webhook can bring it, and the verifying read
 * is included), beside the same by polling at the default interval (no webhooks). Null when the
 * Stripe provider has no webhooks (yet).
 */
/** Up to this long between two changes through webhooks (uniform: ~100 ms with the change's own time). */
const WEBHOOK_PACING_MS = 150;

export async function benchProviderWebhookLatency(changes: number): Promise<ProviderWebhookLatencyResult | null> {
  if (!requireProvider('stripe').webhooks) return null;
  const port = await freePort();
  const server = await startTestServer({ LOG_LEVEL: 'warn', PORT: String(port), SYNCLINE_PUBLIC_URL: `http://127.0.0.1:${port}` });
  const emulator = await startStripeEmulator({ seed: { customer: 200 }, randomSeed: 2024 });
  const api = restClient(server.url, ROOT_TOKEN);
  try {
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url, name: 'bench' });
    const customers = emulator.objects('customer').map((c) => c.id as string);

    const webhookWatch = await watchedSync(server, api, credential.body.id, { poll_interval_ms: 3_600_000, webhooks: { enabled: true } });
    await waitUntil(async () => (await api.get(`/v1/syncs/${webhookWatch.syncId}`)).body.webhooks.registration.state === 'registered', 'the webhook registration');
    // Paced at ~10 changes a second, half the Stripe sync's default limit of 20 requests a second:
    // back-to-back changes (~50 a second here) make each verifying read wait for the rate limit
    // (p99 ~260 ms), which measures the limit doing its job, not the webhook path.
    const webhook = await measure(emulator, webhookWatch, customers.slice(0, 100), changes, 'webhook', WEBHOOK_PACING_MS);
    await webhookWatch.close();

    const pollingWatch = await watchedSync(server, api, credential.body.id, { poll_interval_ms: DEFAULT_POLL_INTERVAL_MS });
    // Changes land at random points of the poll cycle (else each would follow the last poll at once).
    const polling = await measure(emulator, pollingWatch, customers.slice(100), Math.min(changes, 20), 'poll', DEFAULT_POLL_INTERVAL_MS);
    await pollingWatch.close();
    return { webhook, polling: { ...polling, pollIntervalMs: DEFAULT_POLL_INTERVAL_MS } };
  } finally {
    await server.stop();
    await emulator.close();
  }
}

interface WatchedSync {
  syncId: string;
  /** Resolves when both the subscriber and the long-poll saw a record whose `name` is `name`, with each one's arrival time. */
  arrival(name: string): Promise<{ graphqlWs: number; next: number }>;
  close(): Promise<void>;
}

/** A sync of customers on its own stream, backfilled, with a graphql-ws subscriber and a `/next` long-poll loop watching it. */
async function watchedSync(server: TestServer, api: RestClient, credentialId: string, settings: Record<string, unknown>): Promise<WatchedSync> {
  const stream = await api.post('/v1/streams', { name: `webhook-latency-${randomUUID().slice(0, 8)}` });
  const sync = await api.post('/v1/syncs', { provider: 'stripe', stream_id: stream.body.id, collection_ids: ['stripe:customer'], credential_id: credentialId, ...settings });
  if (sync.status !== 201) throw new Error(`sync: ${JSON.stringify(sync.body)}`);
  const syncId = sync.body.id as string;
  await waitUntil(async () => (await api.get(`/v1/syncs/${syncId}/status`)).body.collections.every((c: { backfill: { done: boolean } }) => c.backfill.done), 'the backfill');

  const seen = { graphqlWs: new Map<string, number>(), next: new Map<string, number>() };
  const waiters = new Set<() => void>();
  const saw = (where: keyof typeof seen, name: unknown) => {
    if (typeof name !== 'string' || seen[where].has(name)) return;
    seen[where].set(name, performance.now());
    for (const wake of waiters) wake();
  };
  const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ROOT_TOKEN}` } });
  const unsubscribe = client.subscribe(
    { query: 'subscription($s: ID!) { recordChanged(streamId: $s) { data } }', variables: { s: stream.body.id } },
    { next: (value: any) => saw('graphqlWs', value.data?.recordChanged?.data?.name), error: (error) => console.error('subscription failed', error), complete: () => undefined },
  );
  const consumer = await api.post('/v1/http-consumers', { name: `webhook-latency-${randomUUID().slice(0, 8)}`, sync_id: syncId, deliver_policy: 'new' });
  if (consumer.status !== 201) throw new Error(`consumer: ${JSON.stringify(consumer.body)}`);
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const batch = await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 100, wait_for: 2_000 });
      if (batch.status !== 200) continue;
      for (const message of batch.body as { record: { data: { name?: unknown } } }[]) saw('next', message.record.data.name);
      if (batch.body.length > 0) await api.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: batch.body.map((m: { ack_token: string }) => m.ack_token) });
    }
  })();
  await new Promise((r) => setTimeout(r, 1_000)); // subscriber connected and long-poll waiting before the first change

  return {
    syncId,
    arrival: (name) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const graphqlWs = seen.graphqlWs.get(name);
          const next = seen.next.get(name);
          if (graphqlWs === undefined || next === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve({ graphqlWs, next });
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`"${name}" did not arrive within ${ARRIVAL_TIMEOUT_MS} ms`));
        }, ARRIVAL_TIMEOUT_MS);
        waiters.add(check);
        check();
      }),
    async close() {
      polling = false;
      unsubscribe();
      await client.dispose();
      await loop;
      await api.delete(`/v1/syncs/${syncId}`);
    },
  };
}

/** `changes` updates one at a time (each after a random pause up to `jitterMs`), each timed from before its request upstream to its arrival at both watchers. */
async function measure(emulator: StripeEmulator, watch: WatchedSync, customers: string[], changes: number, label: string, jitterMs = 0): Promise<DeliveryLatency> {
  const graphqlWs: number[] = [];
  const next: number[] = [];
  for (let i = 0; i < changes; i++) {
    if (jitterMs > 0) await new Promise((r) => setTimeout(r, Math.random() * jitterMs));
    const name = `${label} ${i} ${randomUUID().slice(0, 8)}`;
    const arrived = watch.arrival(name);
    const started = performance.now();
    const answer = await fetch(`${emulator.url}/v1/customers/${customers[i % customers.length]}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name }).toString(),
    });
    if (answer.status !== 200) throw new Error(`emulator update answered ${answer.status}`);
    const at = await arrived;
    graphqlWs.push(at.graphqlWs - started);
    next.push(at.next - started);
  }
  return { changes, graphqlWs: latencySummary(graphqlWs), next: latencySummary(next) };
}

async function waitUntil(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
