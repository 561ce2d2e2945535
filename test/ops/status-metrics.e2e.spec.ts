import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { scrapeMetrics, sampleValue, type Scrape } from '../support/prometheus-text.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * /metrics after a scripted run (docs/OPERATIONS.md): a sync backfills from the Stripe emulator
 * through 429s and its rate limit, an HTTP consumer falls behind with messages leased and dead,
 * a webhook consumer's receiver answers 500 (it falls behind, retrying) and another's 400 (its
 * records become dead letters). Every figure the
 * metrics show is the one the status endpoints answer: read status, scrape, read status again,
 * and compare once both status reads agree (the run keeps moving meanwhile).
 */

const INVOICES = 12;

interface Snapshot<T> {
  before: T;
  scrape: Scrape;
  /** Milliseconds since the epoch: before the first status read, just before and just after the scrape. */
  readFrom: number;
  scrapedFrom: number;
  scrapedTo: number;
}

/** Fields that change with the clock alone, not with the run. */
const clockFree = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (key, v: unknown) => (['lag_seconds', 'in_flight', 'waiting', 'age_ms'].includes(key) ? undefined : v)));

async function consistentSnapshot<T>(url: string, read: () => Promise<T>, what: string): Promise<Snapshot<T>> {
  return waitFor(
    async () => {
      const readFrom = Date.now();
      const before = await read();
      const scrapedFrom = Date.now();
      const scrape = await scrapeMetrics(url);
      const scrapedTo = Date.now();
      const after = await read();
      return JSON.stringify(clockFree(before)) === JSON.stringify(clockFree(after)) ? { before, scrape, readFrom, scrapedFrom, scrapedTo } : null;
    },
    20_000,
    what,
  );
}

describe('/metrics shows what the status endpoints answer', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let syncId: string;
  let httpConsumerId: string;
  const failing500 = new WebhookReceiver();
  const refusing400 = new WebhookReceiver();

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 250, invoice: INVOICES }, randomSeed: 26, faults: { rate429: 0.1, rate500: 0.1 } });
    server = await startTestServer();
    api = restClient(server.url, ROOT_TOKEN);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
    await failing500.close();
    await refusing400.close();
  });

  it('sync: state, requests, retries, rate-limit waits, backfill progress and the last poll', async () => {
    ({
      sync: { id: syncId },
    } = await createStripeSync(api, emulator, {
      collections: ['customer', 'invoice'],
      rateLimit: { allowed_requests: 2, interval: 1, max_concurrent_requests: 1 },
      pollIntervalMs: 60_000,
    }));
    await waitForBackfill(api, syncId, 60_000);
    await waitFor(async () => (await api.get(`/v1/syncs/${syncId}/status`)).body.last_poll_at !== null, 20_000, 'the first poll');

    const { before: status, scrape, scrapedFrom, scrapedTo } = await consistentSnapshot(server.url, async () => (await api.get(`/v1/syncs/${syncId}/status`)).body, 'a settled sync status');
    const sync = { sync_id: syncId };
    expect(sampleValue(scrape, 'syncline_sync_state', sync)).toBe(1);
    expect(scrape.samples.find((s) => s.name === 'syncline_sync_state' && s.labels.sync_id === syncId)?.labels.state).toBe(status.state);
    expect(sampleValue(scrape, 'syncline_sync_upstream_requests_total', sync)).toBe(status.requests_made);
    expect(sampleValue(scrape, 'syncline_sync_retries_total', sync)).toBe(status.retries);
    expect(sampleValue(scrape, 'syncline_sync_rate_limit_wait_seconds_total', sync)).toBeCloseTo(status.rate_limit_wait_ms / 1000, 6);
    // The scripted run did meet the emulator's 429s and its own rate limit.
    expect(status.retries).toBeGreaterThan(0);
    expect(status.rate_limit_wait_ms).toBeGreaterThan(0);
    const lastPoll = Date.parse(status.last_poll_at);
    const sinceLastPoll = sampleValue(scrape, 'syncline_sync_seconds_since_last_poll', sync)!;
    expect(sinceLastPoll).toBeGreaterThanOrEqual((scrapedFrom - lastPoll) / 1000 - 0.001);
    expect(sinceLastPoll).toBeLessThanOrEqual((scrapedTo - lastPoll) / 1000 + 0.001);

    expect(status.collections).toHaveLength(2);
    for (const c of status.collections) {
      const labels = { sync_id: syncId, collection: c.collection_id };
      expect([c.collection_id, sampleValue(scrape, 'syncline_sync_collection_upstream_requests_total', labels)]).toEqual([c.collection_id, c.requests_made]);
      expect(sampleValue(scrape, 'syncline_sync_collection_delete_detection_requests_total', labels)).toBe(c.delete_detection_requests);
      expect(sampleValue(scrape, 'syncline_sync_collection_changes_fetched_total', labels)).toBe(c.changes_fetched);
      expect(sampleValue(scrape, 'syncline_sync_collection_backfill_done', labels)).toBe(c.backfill.done ? 1 : 0);
      expect(sampleValue(scrape, 'syncline_sync_collection_backfill_records', labels)).toBe(c.backfill.records);
      expect(sampleValue(scrape, 'syncline_sync_collection_backfill_total_records', labels)).toBe(c.backfill.total ?? undefined);
    }
  }, 120_000);

  it('HTTP consumer fallen behind: pending, ack pending and dead as its num_* fields', async () => {
    const created = await api.post('/v1/http-consumers', { name: 'behind', sync_id: syncId, ack_wait_ms: 100, max_deliver: 1 });
    expect(created.status).toBe(201);
    httpConsumerId = created.body.id;
    // Five leased and never acked die at their next lease (max_deliver 1); five more stay leased.
    expect((await api.post(`/v1/http-consumers/${httpConsumerId}/next`, { batch_size: 5 })).status).toBe(200);
    await waitFor(
      async () => {
        await api.post(`/v1/http-consumers/${httpConsumerId}/next`, { batch_size: 5 });
        return (await api.get(`/v1/http-consumers/${httpConsumerId}`)).body.num_dead > 0;
      },
      10_000,
      'dead messages',
    );
    await api.post(`/v1/http-consumers/${httpConsumerId}/next`, { batch_size: 5 });

    const { before: consumer, scrape } = await consistentSnapshot(server.url, async () => (await api.get(`/v1/http-consumers/${httpConsumerId}`)).body, 'settled HTTP consumer counts');
    const labels = { consumer_id: httpConsumerId, kind: 'http' };
    expect(consumer.num_pending).toBeGreaterThan(0);
    expect(sampleValue(scrape, 'syncline_consumer_pending_messages', labels)).toBe(consumer.num_pending);
    expect(sampleValue(scrape, 'syncline_consumer_ack_pending_messages', labels)).toBe(consumer.num_ack_pending);
    expect(sampleValue(scrape, 'syncline_consumer_dead_letters', labels)).toBe(consumer.num_dead);
  }, 60_000);

  /** The consumer's status and dead letters as REST answers them, and the scrape between two equal reads of them. */
  async function webhookSnapshot(receiver: WebhookReceiver, body: Record<string, unknown>, ready: (consumer: { state: string; lag: number }, dead: number) => boolean) {
    const created = await api.post('/v1/webhook-consumers', { url: receiver.url, sync_id: syncId, collection_ids: ['stripe:invoice'], batch_size: 4, ...body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const read = async () => ({
      consumer: (await api.get(`/v1/webhook-consumers/${id}`)).body,
      dead: ((await api.get(`/v1/webhook-consumers/${id}/dead-letters?limit=100`)).body.data as unknown[]).length,
    });
    await waitFor(async () => {
      const { consumer, dead } = await read();
      return ready(consumer, dead);
    }, 30_000, `${String(body.name)}: the state to show`);
    return { id, ...(await consistentSnapshot(server.url, read, `${String(body.name)}: a settled status`)) };
  }

  /** The consumer's state, lag, lag in seconds, dead letters and deliveries as the scrape shows them. */
  function expectPushFigures(snapshot: Awaited<ReturnType<typeof webhookSnapshot>>) {
    const { id, before, scrape, readFrom, scrapedTo } = snapshot;
    const labels = { consumer_id: id, kind: 'webhook' };
    expect(sampleValue(scrape, 'syncline_consumer_state', { ...labels, state: before.consumer.state })).toBe(1);
    expect(scrape.samples.filter((s) => s.name === 'syncline_consumer_state' && s.labels.consumer_id === id)).toHaveLength(1);
    expect(sampleValue(scrape, 'syncline_consumer_pending_messages', labels)).toBe(before.consumer.lag);
    expect(sampleValue(scrape, 'syncline_consumer_dead_letters', labels)).toBe(before.dead);
    // Lag in seconds grows with the clock (the same oldest record: lag and position did not move):
    // the scrape's is the status's plus at most the time between the status read and the scrape.
    const lagSeconds = sampleValue(scrape, 'syncline_consumer_lag_seconds', labels)!;
    expect(lagSeconds).toBeGreaterThanOrEqual(before.consumer.lag_seconds - 0.001);
    expect(lagSeconds).toBeLessThanOrEqual(before.consumer.lag_seconds + (scrapedTo - readFrom) / 1000 + 0.001);
    expect(sampleValue(scrape, 'syncline_consumer_delivered_total', labels)).toBe(0);
  }

  it('webhook consumer whose receiver answers 500: in error, behind by every record, as its status', async () => {
    await failing500.start();
    await failing500.setMode('fail500');
    const snapshot = await webhookSnapshot(failing500, { name: 'failing-500' }, (consumer) => consumer.state === 'error' && consumer.lag > 0);
    expect(snapshot.before.consumer.lag).toBe(INVOICES);
    expectPushFigures(snapshot);
    expect(failing500.delivered).toHaveLength(0);
  }, 60_000);

  it('webhook consumer whose receiver refuses (400): its records become dead letters, as its dead-letter list', async () => {
    await refusing400.start();
    await refusing400.setMode('fail400');
    const snapshot = await webhookSnapshot(refusing400, { name: 'refusing-400', max_deliver: 2 }, (_, dead) => dead === INVOICES);
    expect(snapshot.before.dead).toBe(INVOICES);
    expectPushFigures(snapshot);
  }, 60_000);

  it('SYNCLINE_METRICS_PER_SYNC=false: the same figures added up by state and kind, no sync or consumer ids', async () => {
    const aggregate = await startTestServer({ DATABASE_URL: server.database.url, SYNCLINE_METRICS_PER_SYNC: 'false' }, { disableSyncs: true });
    try {
      const perSync = await scrapeMetrics(server.url);
      const summed = await scrapeMetrics(aggregate.app.url);
      const sumOf = (scrape: Scrape, name: string, labels: Record<string, string> = {}) =>
        scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((total, s) => total + s.value, 0);
      for (const sample of summed.samples.filter((s) => s.name.startsWith('syncline_sync_') || s.name.startsWith('syncline_consumer_'))) {
        expect(Object.keys(sample.labels)).not.toContain('sync_id');
        expect(Object.keys(sample.labels)).not.toContain('consumer_id');
      }
      // Figures that do not move once the run above settled.
      expect(sampleValue(summed, 'syncline_sync_state', { state: 'active' })).toBe(sumOf(perSync, 'syncline_sync_state', { state: 'active' }));
      for (const collection of ['stripe:customer', 'stripe:invoice']) {
        expect(sampleValue(summed, 'syncline_sync_collection_backfill_records', { collection })).toBe(sumOf(perSync, 'syncline_sync_collection_backfill_records', { collection }));
      }
      expect(sampleValue(summed, 'syncline_consumer_ack_pending_messages', { kind: 'http' })).toBe(sumOf(perSync, 'syncline_consumer_ack_pending_messages', { kind: 'http' }));
      expect(sampleValue(summed, 'syncline_consumer_dead_letters', { kind: 'http' })).toBe(sumOf(perSync, 'syncline_consumer_dead_letters', { kind: 'http' }));
    } finally {
      await aggregate.app.close();
    }
  }, 60_000);
});
