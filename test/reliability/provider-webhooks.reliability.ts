/**
 * A flood of provider webhooks (issue 24, "Bad input"): 10,000 webhooks for 100 objects, each
 * object changed upstream before every webhook that names it. The sync's rate limit is never
 * exceeded (checked against the emulator's request log: webhooks only hint, every read goes
 * through the sync's limiter), bursts are coalesced per object, and each object ends at its
 * latest version.
 *
 * Against the Stripe emulator: with Stripe's own webhooks when the provider has them
 * (`Stripe-Signature: t=…,v1=…` over `customer.updated` events, as Stripe documents), else with
 * the engine's test-only webhooks (test/support/test-provider-webhooks.ts).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { requireProvider } from '../../src/sync/providers/registry.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { maxConcurrent, maxInAnyWindow } from '../support/request-log-windows.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, recordsOf, syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { installTestStripeWebhooks, testWebhook } from '../support/test-provider-webhooks.ts';
import { waitFor } from '../support/wait.ts';
import { reportFigures } from './support/report.ts';

const OBJECTS = 100;
/** Webhooks per object (FLOOD_ROUNDS makes a quicker run). */
const ROUNDS = Number(process.env.FLOOD_ROUNDS ?? 100);
const SENDERS = 32;
const SECRET = 'whsec_flood_0123456789abcdefghij';
const RATE_LIMIT = { allowed_requests: 20, interval: 1, max_concurrent_requests: 4 };

type Webhook = { headers: Record<string, string>; body: string };

/** A Stripe `customer.updated` event as Stripe sends it, signed as Stripe documents (https://docs.stripe.com/webhooks#verify-manually). */
function stripeEvent(customer: Record<string, unknown>): Webhook {
  const created = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `evt_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    object: 'event',
    api_version: '2024-06-20',
    created,
    data: { object: customer },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.updated',
  });
  const signature = createHmac('sha256', SECRET).update(`${created}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${created},v1=${signature}` } };
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

describe('provider webhooks: a flood of webhooks (10,000 for 100 objects)', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let installed: ReturnType<typeof installTestStripeWebhooks> | null = null;
  const realStripeWebhooks = requireProvider('stripe').webhooks !== undefined;

  beforeAll(async () => {
    if (!realStripeWebhooks) installed = installTestStripeWebhooks();
    emulator = await startStripeEmulator({ seed: { customer: OBJECTS }, randomSeed: 10_000 });
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    installed?.restore();
    await server?.stop();
    await emulator?.close();
  });

  it('never exceeds the rate limit; every object ends at its latest version', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 3_600_000, rateLimit: RATE_LIMIT });
    expect((await api.patch(`/v1/syncs/${sync.id}`, { webhooks: { enabled: true, signing_secret: SECRET } })).status).toBe(200);
    await waitForBackfill(api, sync.id, 60_000);
    const ids = emulator.objects('customer').map((c) => c.id as string);
    expect(ids).toHaveLength(OBJECTS);
    const since = Date.now();

    let sent = 0;
    const refused: number[] = [];
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      await inParallel(ids, 8, async (id) => {
        const answer = await fetch(`${emulator.url}/v1/customers/${id}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ name: `round ${round}` }).toString(),
        });
        expect(answer.status).toBe(200);
      });
      const current = new Map(emulator.objects('customer').map((c) => [c.id as string, c]));
      await inParallel(ids, SENDERS, async (id) => {
        const webhook = realStripeWebhooks ? stripeEvent(current.get(id)!) : testWebhook(SECRET, [{ id }]);
        const answer = await fetch(`${server.url}/v1/webhooks/in/${sync.id}`, { method: 'POST', headers: webhook.headers, body: webhook.body });
        await answer.arrayBuffer();
        sent++;
        if (answer.status !== 200) refused.push(answer.status);
      });
    }
    const sendingMs = performance.now() - started;
    expect(refused).toEqual([]);

    await waitFor(
      async () => {
        const { live } = await recordsOf(api, sync.id, 'customer');
        return ids.every((id) => live.get(id)?.name === `round ${ROUNDS - 1}`);
      },
      120_000,
      'every object at its latest version',
    );
    const settledMs = performance.now() - started;
    await waitFor(async () => (await server.app.ctx.pool.query('SELECT 1 FROM sync_webhook_hints WHERE sync_id = $1', [sync.id])).rowCount === 0, 60_000, 'no hint left');

    // Syncline's reads: GETs (the test's own writes are POSTs), since the flood began.
    const reads = emulator.requestLog.filter((e) => e.method === 'GET' && e.startedAt >= since && (e.status !== 0 || e.endedAt > 0));
    const perWindow = maxInAnyWindow(reads.map((e) => e.startedAt), RATE_LIMIT.interval * 1000);
    const concurrent = maxConcurrent(reads);
    const status = await syncStatus(api, sync.id);
    reportFigures('provider-webhooks-flood', {
      webhooks: sent,
      objects: OBJECTS,
      signatures: realStripeWebhooks ? 'stripe' : 'test',
      upstream_reads: reads.length,
      max_reads_per_second: perWindow,
      max_concurrent_reads: concurrent,
      sending_ms: Math.round(sendingMs),
      settled_ms: Math.round(settledMs),
      status_webhooks: status.webhooks,
    });
    expect(sent).toBe(OBJECTS * ROUNDS);
    expect(status.webhooks).toMatchObject({ received: OBJECTS * ROUNDS, verified: OBJECTS * ROUNDS, rejected: 0 });
    expect(perWindow).toBeLessThanOrEqual(RATE_LIMIT.allowed_requests);
    expect(concurrent).toBeLessThanOrEqual(RATE_LIMIT.max_concurrent_requests);
    // Coalesced: far fewer reads than webhooks.
    expect(reads.length).toBeLessThan(OBJECTS * ROUNDS);
  }, 900_000);
});
