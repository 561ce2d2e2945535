import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { versionCount, versionsOf } from '../support/record-versions.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, recordsOf, syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { installTestStripeWebhooks, testWebhook, TEST_SIGNATURE_HEADER, TEST_TIMESTAMP_HEADER } from '../support/test-provider-webhooks.ts';
import { waitFor } from '../support/wait.ts';

const SECRET = 'whsec_test_0123456789abcdef';
const CUSTOMERS = 'stripe:customer';
const HOUR = 3_600_000;
const MAX_WEBHOOK_BODY = 4096;

/**
 * The engine's provider webhooks (docs/PROVIDER-WEBHOOKS.md) with a test-only ProviderWebhooks on
 * the Stripe provider (test/support/test-provider-webhooks.ts) against the Stripe emulator: a sync
 * that polls once an hour, so only webhooks can bring a change within the test.
 */
describe('provider webhooks', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let installed: ReturnType<typeof installTestStripeWebhooks>;

  beforeAll(async () => {
    installed = installTestStripeWebhooks();
    emulator = await startStripeEmulator({ seed: { customer: 6, product: 2 }, randomSeed: 24 });
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100', SYNCLINE_MAX_WEBHOOK_BODY_BYTES: String(MAX_WEBHOOK_BODY) });
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    installed?.restore();
    await server?.stop();
    await emulator?.close();
  });

  const post = (syncId: string, webhook: { body: string; headers: Record<string, string> }) =>
    fetch(`${server.url}/v1/webhooks/in/${syncId}`, { method: 'POST', headers: webhook.headers, body: webhook.body });

  const webhookSync = async (options: { pollIntervalMs?: number; collections?: ('customer' | 'product')[] } = {}) => {
    const { sync, credentialId } = await createStripeSync(api, emulator, { collections: options.collections ?? ['customer'], pollIntervalMs: options.pollIntervalMs ?? HOUR });
    const patched = await api.patch(`/v1/syncs/${sync.id}`, { webhooks: { enabled: true, signing_secret: SECRET } });
    expect(patched.status).toBe(200);
    await waitForBackfill(api, sync.id, 30_000);
    return { sync, credentialId };
  };

  const updateCustomer = async (id: string, name: string) => {
    const answer = await fetch(`${emulator.url}/v1/customers/${id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name }).toString(),
    });
    expect(answer.status).toBe(200);
  };

  const recordData = async (syncId: string, id: string) => (await recordsOf(api, syncId, 'customer')).records.find((r) => r.upstream_id === id);

  it('keeps webhook settings with the sync, the secret sealed and never answered', async () => {
    const { credentialId } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: HOUR });
    const created = await api.post('/v1/syncs', {
      provider: 'stripe',
      collection_ids: [CUSTOMERS],
      credential_id: credentialId,
      poll_interval_ms: 60_000,
      webhooks: { enabled: true, signing_secret: SECRET, reconcile_interval_ms: 900_000 },
    });
    expect(created.status).toBe(201);
    expect(created.body.webhooks).toEqual({
      enabled: true,
      url: `/v1/webhooks/in/${created.body.id}`,
      registration: { state: 'manual', expires_at: null, error: null },
      signing_secret_set: true,
      reconcile_interval_ms: 900_000,
      manual_setup: expect.any(String),
    });
    const gql = await graphqlClient(server.url, ROOT_TOKEN)(
      `query($id: ID!) { sync(id: $id) { webhooks { enabled url signingSecretSet reconcileIntervalMs registration { state } } status { webhooks { received rejected } } } }`,
      { id: created.body.id },
    );
    expect(gql.errors).toBeUndefined();
    expect(gql.data.sync.webhooks).toEqual({ enabled: true, url: `/v1/webhooks/in/${created.body.id}`, signingSecretSet: true, reconcileIntervalMs: 900_000, registration: { state: 'manual' } });
    expect(gql.data.sync.status.webhooks).toEqual({ received: 0, rejected: 0 });

    const cleared = await api.patch(`/v1/syncs/${created.body.id}`, { webhooks: { signing_secret: null, reconcile_interval_ms: null } });
    expect(cleared.body.webhooks).toMatchObject({ enabled: true, signing_secret_set: false, reconcile_interval_ms: null });
    const disabled = await api.patch(`/v1/syncs/${created.body.id}`, { webhooks: { enabled: false } });
    expect(disabled.body.webhooks).toMatchObject({ enabled: false, registration: { state: 'disabled' } });
    expect((await syncStatus(api, created.body.id)).webhooks).toBeNull();

    const tooShort = await api.patch(`/v1/syncs/${created.body.id}`, { webhooks: { reconcile_interval_ms: 30_000 } });
    expect(tooShort.status).toBe(422);

    const events = await server.app.ctx.pool.query<{ message_data: unknown }>(`SELECT message_data FROM emt_messages WHERE stream_id = $1`, [`sync-${created.body.id}`]);
    expect(JSON.stringify(events.rows)).not.toContain(SECRET);
    expect(server.logLines.join('\n')).not.toContain(SECRET);
  });

  it('refuses webhooks for a provider that sends none', async () => {
    // Refused before the credential is looked at: no credential is needed to be told.
    const created = await api.post('/v1/syncs', { provider: 'salesforce', collection_ids: ['salesforce:account'], credential_id: '00000000-0000-4000-8000-000000000000', webhooks: { enabled: true } });
    expect(created.status).toBe(422);
    expect(created.body.error.code).toBe('webhooks_not_supported');
  });

  it('a webhook brings a change upstream into the records, read again through the provider', async () => {
    const { sync } = await webhookSync();
    const [customer] = emulator.objects('customer');
    const id = customer!.id as string;
    await updateCustomer(id, 'Changed through a webhook');

    const answer = await post(sync.id, testWebhook(SECRET, [{ id }]));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: true });

    await waitFor(async () => (await recordData(sync.id, id))?.data.name === 'Changed through a webhook', 15_000, 'the webhook change in the records');
    const versions = await versionsOf(server.app.ctx.pool, sync.id, CUSTOMERS, id);
    expect(versions.map((v) => v.source)).toEqual(['backfill', 'webhook']);
    expect(versions[1]!.data).toEqual(emulator.objects('customer').find((c) => c.id === id));
    const status = await syncStatus(api, sync.id);
    expect(status.webhooks).toMatchObject({ received: 1, verified: 1, rejected: 0, duplicates: 0, changes_missed: 0 });
    expect(status.webhooks.last_received_at).not.toBeNull();
    await waitFor(async () => (await server.app.ctx.pool.query(`SELECT 1 FROM sync_webhook_hints WHERE sync_id = $1`, [sync.id])).rowCount === 0, 10_000, 'the hint removed');
  });

  it('a webhook for an object deleted upstream writes a tombstone that keeps the last data', async () => {
    const { sync } = await webhookSync();
    const id = emulator.objects('customer')[1]!.id as string;
    const before = await recordData(sync.id, id);
    const deleted = await fetch(`${emulator.url}/v1/customers/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulator.apiKey}` } });
    expect(deleted.status).toBe(200);

    expect((await post(sync.id, testWebhook(SECRET, [{ id, deleted: true }]))).status).toBe(200);
    const tombstone = await waitFor(async () => {
      const record = await recordData(sync.id, id);
      return record?.deleted ? record : null;
    }, 15_000, 'the tombstone');
    expect(tombstone.data).toEqual(before!.data);
  });

  it('a redelivery is counted and applied once; a burst for one object is one read', async () => {
    const { sync } = await webhookSync();
    const id = emulator.objects('customer')[2]!.id as string;
    await updateCustomer(id, 'Redelivered');
    const webhook = testWebhook(SECRET, [{ id }], { deliveryId: 'evt_redelivered' });
    expect((await post(sync.id, webhook)).status).toBe(200);
    expect((await post(sync.id, webhook)).status).toBe(200);
    await waitFor(async () => (await recordData(sync.id, id))?.data.name === 'Redelivered', 15_000, 'the change');
    const status = await syncStatus(api, sync.id);
    expect(status.webhooks).toMatchObject({ received: 2, verified: 2, duplicates: 1 });
    expect((await versionsOf(server.app.ctx.pool, sync.id, CUSTOMERS, id)).map((v) => v.source)).toEqual(['backfill', 'webhook']);

    // The same version told again (another delivery id): read again, nothing new recorded.
    expect((await post(sync.id, testWebhook(SECRET, [{ id }, { id }]))).status).toBe(200);
    await waitFor(async () => (await server.app.ctx.pool.query(`SELECT 1 FROM sync_webhook_hints WHERE sync_id = $1`, [sync.id])).rowCount === 0, 10_000, 'the hint applied');
    expect(await versionsOf(server.app.ctx.pool, sync.id, CUSTOMERS, id)).toHaveLength(2);
  });

  it('a poll and a webhook that see the same version record it once', async () => {
    const { sync } = await webhookSync({ pollIntervalMs: 200 });
    const id = emulator.objects('customer')[3]!.id as string;
    await updateCustomer(id, 'Seen by both');
    expect((await post(sync.id, testWebhook(SECRET, [{ id }]))).status).toBe(200);
    await waitFor(async () => (await recordData(sync.id, id))?.data.name === 'Seen by both', 15_000, 'the change');
    // Both paths have run since: the hint is gone and a poll finished after it.
    await waitFor(async () => (await server.app.ctx.pool.query(`SELECT 1 FROM sync_webhook_hints WHERE sync_id = $1`, [sync.id])).rowCount === 0, 10_000, 'the hint applied');
    const applied = Date.now();
    await waitFor(async () => {
      const status = await syncStatus(api, sync.id);
      return status.last_poll_at && Date.parse(status.last_poll_at) > applied + 200;
    }, 15_000, 'a poll after the webhook');
    const versions = await versionsOf(server.app.ctx.pool, sync.id, CUSTOMERS, id);
    expect(versions).toHaveLength(2);
    const status = await syncStatus(api, sync.id);
    // Whichever wrote it: a poll that wrote it first counts it as missed by webhooks.
    expect(status.webhooks.changes_missed).toBe(versions[1]!.source === 'changes' ? 1 : 0);
  });

  it('drops hints for collections the sync does not hold', async () => {
    const { sync } = await webhookSync({ collections: ['product'] });
    const id = emulator.objects('customer')[4]!.id as string;
    expect((await post(sync.id, testWebhook(SECRET, [{ id }]))).status).toBe(200);
    expect((await server.app.ctx.pool.query(`SELECT 1 FROM sync_webhook_hints WHERE sync_id = $1`, [sync.id])).rowCount).toBe(0);
    expect(await versionCount(server.app.ctx.pool, sync.id, CUSTOMERS)).toBe(0);
  });

  describe('bad input: 4xx, nothing appended, counted', () => {
    let syncId: string;
    let customerId: string;
    let versionsBefore: number;

    beforeAll(async () => {
      const { sync } = await webhookSync();
      syncId = sync.id;
      customerId = emulator.objects('customer').at(-1)!.id as string;
      await updateCustomer(customerId, 'Never told by a valid webhook');
      versionsBefore = await versionCount(server.app.ctx.pool, syncId, CUSTOMERS);
    });

    const refused = async (webhook: { body: string; headers: Record<string, string> }, status: number, code: string) => {
      const before = (await syncStatus(api, syncId)).webhooks.rejected;
      const answer = await post(syncId, webhook);
      expect(answer.status).toBe(status);
      expect((await answer.json()).error.code).toBe(code);
      expect((await syncStatus(api, syncId)).webhooks.rejected).toBe(before + 1);
    };

    it('unsigned', async () => {
      const { body } = testWebhook(SECRET, [{ id: customerId }]);
      await refused({ body, headers: { 'content-type': 'application/json' } }, 401, 'webhook_signature_missing');
    });

    it('wrongly signed', async () => {
      await refused(testWebhook('whsec_wrong_secret_0000', [{ id: customerId }]), 401, 'webhook_signature_invalid');
      const tampered = testWebhook(SECRET, [{ id: customerId }]);
      await refused({ ...tampered, body: tampered.body.replace(customerId, 'cus_other') }, 401, 'webhook_signature_invalid');
    });

    it('replayed: its timestamp outside the tolerance', async () => {
      await refused(testWebhook(SECRET, [{ id: customerId }], { timestamp: Math.floor(Date.now() / 1000) - 3600 }), 401, 'webhook_timestamp_outside_tolerance');
    });

    it('oversized', async () => {
      const ids = Array.from({ length: 200 }, (_, i) => ({ id: `cus_${i}_padding_padding` }));
      const webhook = testWebhook(SECRET, ids);
      expect(webhook.body.length).toBeGreaterThan(MAX_WEBHOOK_BODY);
      await refused(webhook, 413, 'payload_too_large');
    });

    it('malformed, though signed', async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      const good = testWebhook(SECRET, []);
      const body = '{"not": "a webhook"';
      const { createHmac } = await import('node:crypto');
      const signature = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
      await refused({ body, headers: { ...good.headers, [TEST_SIGNATURE_HEADER]: signature, [TEST_TIMESTAMP_HEADER]: String(timestamp) } }, 400, 'webhook_malformed');
    });

    it('for no sync, a sync without webhooks, or a paused sync', async () => {
      const webhook = testWebhook(SECRET, [{ id: customerId }]);
      for (const target of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
        const answer = await post(target, webhook);
        expect(answer.status).toBe(404);
        expect((await answer.json()).error.code).toBe('sync_not_found');
      }
      const { sync: plain } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: HOUR });
      expect((await post(plain.id, webhook)).status).toBe(404);

      expect((await api.post(`/v1/syncs/${syncId}/pause`, {})).status).toBe(200);
      const paused = await post(syncId, webhook);
      expect(paused.status).toBe(200);
      expect(await paused.json()).toEqual({ received: true, ignored: 'sync_paused' });
      expect((await server.app.ctx.pool.query(`SELECT 1 FROM sync_webhook_hints WHERE sync_id = $1`, [syncId])).rowCount).toBe(0);
    });

    it('appended nothing', async () => {
      expect(await versionCount(server.app.ctx.pool, syncId, CUSTOMERS)).toBe(versionsBefore);
      expect((await recordData(syncId, customerId))?.data.name).not.toBe('Never told by a valid webhook');
      const status = await syncStatus(api, syncId);
      expect(status.webhooks).toMatchObject({ received: 7, rejected: 6, verified: 1 });
    });
  });
});
