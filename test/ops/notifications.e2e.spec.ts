import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { loadConfig } from '../../src/config.ts';
import { startApp, type RunningApp } from '../../src/app.ts';
import { createLogger } from '../../src/logger.ts';
import { ROOT_TOKEN, startTestServer, TEST_EGRESS_ALLOW, TEST_SECRET_KEY, type TestServer } from '../support/server.ts';
import { createStripeSync, syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { WebhookInbox, type ArrivedRequest } from '../support/webhook-inbox.ts';

/**
 * Failure notifications (docs/OPERATIONS.md "Notifications"): the account's notification webhook
 * receives its syncs' and consumers' state changes, signed as Standard Webhooks says (checked
 * with the `standardwebhooks` package), at most one per subject and topic per
 * SYNCLINE_NOTIFY_INTERVAL_MS.
 */

const INTERVAL_MS = 1_500;

interface Received {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { changes: number };
}

describe('notifications', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let secret: string;
  const inbox = new WebhookInbox('/notify');
  const consumerInbox = new WebhookInbox('/deliveries');

  /** Every notification delivered (answered 2xx), verified with the secret (it throws on a bad signature). */
  const received = (): Received[] =>
    inbox.arrived.filter((arrival) => arrival.answered < 300).map((arrival: ArrivedRequest) => new Webhook(secret).verify(arrival.text, Object.fromEntries(arrival.headers)) as Received);
  const ofSubject = (key: string, id: string) => received().filter((n) => n.data[key] === id);
  const arrivedOf = (key: string, id: string, type: string, what: string) =>
    waitFor(async () => ofSubject(key, id).find((n) => n.type === type), 30_000, what);

  beforeAll(async () => {
    await inbox.start();
    await consumerInbox.start();
    emulator = await startStripeEmulator({ seed: { customer: 30 }, randomSeed: 26 });
    server = await startTestServer({ SYNCLINE_NOTIFY_INTERVAL_MS: String(INTERVAL_MS) });
    api = restClient(server.url, ROOT_TOKEN);
    const set = await api.raw('PUT', '/v1/account/notification-webhook', { url: inbox.url });
    expect(set.status).toBe(200);
    secret = set.body.secret;
    expect(secret).toMatch(/^whsec_/);
  }, 60_000);

  let restarted: RunningApp | null = null;

  afterAll(async () => {
    if (restarted) {
      await restarted.close();
      await server.database.drop();
    } else await server?.stop();
    await emulator?.close();
    await inbox.close();
    await consumerInbox.close();
  });

  it('is set once with its secret; a second set changes the URL only; the answers show a hint', async () => {
    const again = await api.raw('PUT', '/v1/account/notification-webhook', { url: inbox.url });
    expect(again.status).toBe(200);
    expect(again.body.secret).toBeUndefined();
    expect(again.body.secret_hint).toBe(`…${secret.slice(-4)}`);
    const bad = await api.raw('PUT', '/v1/account/notification-webhook', { url: 'ftp://example.com/x' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('unsupported_url_scheme');
  });

  it('a sync: backfill completed, then an injected failure and its recovery, each signed', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 1000 });
    await waitForBackfill(api, sync.id, 30_000);
    const completed = await arrivedOf('sync_id', sync.id, 'sync.backfill_completed', 'the backfill completed notification');
    expect(completed.data).toMatchObject({ sync_id: sync.id, collection_id: 'stripe:customer', records: 30, provider: 'stripe', changes: 1 });

    // Every answer is cut short: the poll fails, the sync shows the error.
    emulator.setFaults({ truncatedRate: 1 });
    const error = await arrivedOf('sync_id', sync.id, 'sync.error', 'the sync error notification');
    expect(error.data).toMatchObject({ sync_id: sync.id, state: 'error', sync_name: 'stripe emulator' });
    expect((error.data.error as { collection_id: string }).collection_id).toBe('stripe:customer');
    emulator.setFaults({});
    const recovered = await arrivedOf('sync_id', sync.id, 'sync.recovered', 'the sync recovered notification');
    expect(recovered.data.previous_error).toMatchObject({ collection_id: 'stripe:customer' });
    expect((await syncStatus(api, sync.id)).state).not.toBe('error');

    // Each attempt is in the delivery log, answered 200.
    const deliveries = await api.get('/v1/account/notification-webhook/deliveries');
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.data.filter((d: { type: string }) => d.type === 'sync.recovered').map((d: { status: number }) => d.status)).toContain(200);
  }, 90_000);

  it('a flapping sync sends a bounded number, coalesced into its latest state, the recovery last', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 1000 });
    await waitForBackfill(api, sync.id, 30_000);
    const started = Date.now();
    const flaps = 4;
    for (let i = 0; i < flaps; i++) {
      emulator.setFaults({ truncatedRate: 1 });
      await waitFor(async () => (await syncStatus(api, sync.id)).state === 'error', 30_000, `error ${i + 1}`);
      emulator.setFaults({});
      await waitFor(async () => (await syncStatus(api, sync.id)).state !== 'error', 30_000, `recovery ${i + 1}`);
    }
    const flapped = Date.now() - started;
    // The last state reaches the receiver, however the changes fell into the intervals.
    const last = await waitFor(
      async () => {
        const health = ofSubject('sync_id', sync.id).filter((n) => n.type === 'sync.error' || n.type === 'sync.recovered');
        const total = health.reduce((sum, n) => sum + n.data.changes, 0);
        return total === 2 * flaps ? health : null;
      },
      30_000,
      'every state change told (sent or coalesced)',
    );
    expect(last[last.length - 1]!.type).toBe('sync.recovered');
    // At most one per interval: the first at once, then one per interval the flapping lasted, and the last one after it.
    expect(last.length).toBeLessThanOrEqual(Math.ceil(flapped / INTERVAL_MS) + 2);
    expect(last.length).toBeLessThan(2 * flaps);
  }, 120_000);

  it('a webhook consumer: error, recovery and dead letters', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 60_000 });
    await waitForBackfill(api, sync.id, 30_000);
    // The receiver fails until the error was told, then answers 200 again.
    consumerInbox.answerNext(...Array<number>(10_000).fill(500));
    const failing = await api.post('/v1/webhook-consumers', { name: 'flaky', sync_id: sync.id, url: consumerInbox.url, batch_size: 100 });
    expect(failing.status).toBe(201);
    const consumerId = failing.body.id as string;
    const error = await arrivedOf('consumer_id', consumerId, 'consumer.error', 'the consumer error notification');
    expect(error.data).toMatchObject({ consumer_kind: 'webhook', consumer_name: 'flaky', state: 'error', error: { message: expect.stringContaining('answered 500') } });
    consumerInbox.reset();
    const recovered = await arrivedOf('consumer_id', consumerId, 'consumer.recovered', 'the consumer recovered notification');
    expect(recovered.data.previous_error).toMatchObject({ message: expect.stringContaining('answered 500') });

    consumerInbox.answerNext(400);
    const refusing = await api.post('/v1/webhook-consumers', { name: 'refused', sync_id: sync.id, url: consumerInbox.url, batch_size: 100, max_deliver: 1 });
    expect(refusing.status).toBe(201);
    const dead = await arrivedOf('consumer_id', refusing.body.id, 'consumer.dead_letters', 'the dead letters notification');
    expect(dead.data.records).toBe(30);
  }, 90_000);

  it('a notification pending when the process stops is sent by the next one', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 1000 });
    await waitForBackfill(api, sync.id, 30_000);
    // The receiver is down: the error notification is attempted, answered 503, and stays pending.
    inbox.answerNext(...Array<number>(10_000).fill(503));
    emulator.setFaults({ truncatedRate: 1 });
    // This sync's error, refused (other tests' syncs read the same failing emulator and fail too).
    const attempted = async () =>
      inbox.arrived.some((arrival) => {
        if (arrival.answered !== 503) return false;
        const sent = new Webhook(secret).verify(arrival.text, Object.fromEntries(arrival.headers)) as Received;
        return sent.type === 'sync.error' && sent.data.sync_id === sync.id;
      });
    await waitFor(attempted, 30_000, 'a refused attempt');
    await server.app.close();
    emulator.setFaults({});
    inbox.reset();
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: server.database.url,
      SYNCLINE_API_TOKEN: ROOT_TOKEN,
      SYNCLINE_SECRET_KEY: TEST_SECRET_KEY,
      SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW,
      SYNCLINE_NOTIFY_INTERVAL_MS: String(INTERVAL_MS),
      LOG_LEVEL: 'silent',
    });
    // Refused attempts before the stop put the next one off by the backoff (longer under load): wait for that too.
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    const { rows } = await db
      .query<{ wait_ms: number | null }>(
        `SELECT max(GREATEST(0, EXTRACT(EPOCH FROM retry_at - now()) * 1000))::float8 AS wait_ms FROM notification_subjects WHERE pending IS NOT NULL`,
      )
      .finally(() => db.end());
    restarted = await startApp(config, createLogger('silent'));
    const told = await waitFor(
      async () => ofSubject('sync_id', sync.id).find((n) => n.type === 'sync.error' || n.type === 'sync.recovered'),
      30_000 + (rows[0]?.wait_ms ?? 0),
      'the pending notification, sent after the restart',
    );
    // The error, or the recovery that replaced it while pending (with the error it follows).
    if (told.type === 'sync.recovered') expect(told.data.previous_error).toMatchObject({ collection_id: 'stripe:customer' });
    else expect(told.data.error).toMatchObject({ collection_id: 'stripe:customer' });
  }, 120_000);
});
