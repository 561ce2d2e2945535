import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { sampleValue, scrapeMetrics } from '../support/prometheus-text.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';

/**
 * /metrics after a scripted run, against the values the script makes (issue 26's acceptance;
 * status-metrics.e2e.spec.ts holds the same figures to the status endpoints): a backfill of 40
 * customers, a known number of upstream changes, a burst of 429s, an HTTP consumer falling
 * behind. Counted independently: the emulator's own request log and fault counts, and the
 * changes it made.
 */

const CUSTOMERS = 40;

describe('/metrics after a scripted run has the values the script made', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: CUSTOMERS }, randomSeed: 126 });
    server = await startTestServer();
    api = restClient(server.url, ROOT_TOKEN);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  const metric = async (name: string, labels: Record<string, string>) => sampleValue(await scrapeMetrics(server.url), name, labels);
  const reaches = (name: string, labels: Record<string, string>, expected: number, what: string) =>
    waitFor(async () => ((await metric(name, labels)) === expected ? true : null), 30_000, `${what}: ${name} = ${expected}`);

  it('backfill, changes, a 429 burst and a consumer behind', async () => {
    const { sync } = await createStripeSync(api, emulator, {
      collections: ['customer'],
      rateLimit: { allowed_requests: 1000, interval: 1, max_concurrent_requests: 4 },
      pollIntervalMs: 1000,
    });
    const ofSync = { sync_id: sync.id };
    const ofCollection = { sync_id: sync.id, collection: 'stripe:customer' };

    // Backfill: every customer, done.
    await waitForBackfill(api, sync.id, 30_000);
    await reaches('syncline_sync_collection_backfill_records', ofCollection, CUSTOMERS, 'backfill');
    expect(await metric('syncline_sync_collection_backfill_done', ofCollection)).toBe(1);
    expect(await metric('syncline_sync_state', { ...ofSync, state: 'active' })).toBe(1);

    // Changes: as many versions as the emulator made changes.
    const made = emulator.mutateRandomly(9, ['customer']);
    const changes = made.created.length + made.updated.length + made.deleted.length;
    expect(changes).toBeGreaterThan(0);
    await reaches('syncline_sync_collection_changes_fetched_total', ofCollection, changes, 'changes');

    // A burst of 429s: waited out under the sync's rate limiter, no error.
    const waitedBefore = (await metric('syncline_sync_rate_limit_wait_seconds_total', ofSync)) ?? 0;
    emulator.setFaults({ rate429: 1 });
    await waitFor(async () => emulator.faultCounts.rate429 >= 3, 30_000, 'three 429s answered');
    emulator.setFaults({});

    // An HTTP consumer falling behind: 10 taken and acked, 5 taken and held, the rest pending.
    const consumer = await api.post('/v1/http-consumers', { name: 'behind', sync_id: sync.id, ack_wait_ms: 600_000 });
    expect(consumer.status).toBe(201);
    const first = await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 10 });
    expect((await api.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: first.body.map((m: { ack_token: string }) => m.ack_token) })).body.acked).toBe(10);
    expect((await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 5 })).body).toHaveLength(5);

    // Paused, the run flushes its counters and makes no more requests: the figures stand still.
    expect((await api.post(`/v1/syncs/${sync.id}/pause`, {})).status).toBe(200);
    await reaches('syncline_sync_state', { ...ofSync, state: 'paused' }, 1, 'paused');
    const records = CUSTOMERS + made.created.length;
    const ofConsumer = { consumer_id: consumer.body.id as string, kind: 'http' };
    await waitFor(async () => ((await metric('syncline_sync_upstream_requests_total', ofSync)) === emulator.requestLog.length ? true : null), 30_000, 'every request the emulator saw, counted');
    expect(await metric('syncline_sync_collection_upstream_requests_total', ofCollection)).toBe(emulator.requestLog.length);
    expect(emulator.faultCounts.rate429).toBeGreaterThanOrEqual(3);
    expect(await metric('syncline_sync_rate_limit_wait_seconds_total', ofSync)).toBeGreaterThan(waitedBefore);
    expect(await metric('syncline_sync_collection_backfill_records', ofCollection)).toBe(CUSTOMERS);
    expect(await metric('syncline_sync_collection_changes_fetched_total', ofCollection)).toBe(changes);
    expect(await metric('syncline_consumer_pending_messages', ofConsumer)).toBe(records - 15);
    expect(await metric('syncline_consumer_ack_pending_messages', ofConsumer)).toBe(5);
    expect(await metric('syncline_consumer_dead_letters', ofConsumer)).toBe(0);
  }, 120_000);
});
