import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';
import { installTestStripeWebhooks, testWebhook, TestRegistrations } from '../support/test-provider-webhooks.ts';
import { waitFor } from '../support/wait.ts';

const PUBLIC_URL = 'https://syncline.example.test';
const HOUR = 3_600_000;

/** Registration upstream (docs/PROVIDER-WEBHOOKS.md, "Registration") with a test registration API kept in memory. */
describe('provider webhook registration', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  const registrations = new TestRegistrations();
  let installed: ReturnType<typeof installTestStripeWebhooks>;

  beforeAll(async () => {
    installed = installTestStripeWebhooks(registrations);
    emulator = await startStripeEmulator({ seed: { customer: 3 }, randomSeed: 5 });
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100', SYNCLINE_PUBLIC_URL: `${PUBLIC_URL}/` });
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    installed?.restore();
    await server?.stop();
    await emulator?.close();
  });

  const registrationOf = async (syncId: string) => (await api.get(`/v1/syncs/${syncId}`)).body.webhooks;
  const registeredFor = (syncId: string) => [...registrations.live.values()].find((r) => r.url === `${PUBLIC_URL}/v1/webhooks/in/${syncId}`);

  it('registers when webhooks are enabled, verifies with the registration secret, renews before expiry, removes when disabled', async () => {
    registrations.lifetimeMs = 4_000;
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: HOUR });
    const enabled = await api.patch(`/v1/syncs/${sync.id}`, { webhooks: { enabled: true } });
    expect(enabled.body.webhooks.url).toBe(`${PUBLIC_URL}/v1/webhooks/in/${sync.id}`);
    const registered = await waitFor(async () => {
      const webhooks = await registrationOf(sync.id);
      return webhooks.registration.state === 'registered' ? webhooks : null;
    }, 15_000, 'the registration');
    expect(registered.registration.expires_at).not.toBeNull();
    expect(registered.signing_secret_set).toBe(false);

    // Deliveries signed with the registration's secret are verified (no signing_secret given).
    await waitForBackfill(api, sync.id, 30_000);
    const secret = registeredFor(sync.id)!.secret;
    const id = emulator.objects('customer')[0]!.id as string;
    const answer = await fetch(`${server.url}/v1/webhooks/in/${sync.id}`, { method: 'POST', ...testWebhook(secret, [{ id }]) });
    expect(answer.status).toBe(200);

    // Renewed before it lapses, replacing the previous registration.
    const renewal = await waitFor(async () => registrations.calls.find((c) => c.kind === 'register' && c.url?.endsWith(sync.id) && c.previous !== null), 15_000, 'a renewal');
    expect(renewal.previous).toHaveLength(1);
    expect(JSON.stringify((await api.get(`/v1/syncs/${sync.id}`)).body)).not.toContain(secret);

    registrations.lifetimeMs = null;
    await api.patch(`/v1/syncs/${sync.id}`, { webhooks: { enabled: false } });
    await waitFor(async () => registeredFor(sync.id) === undefined, 15_000, 'the registration removed upstream');
    expect((await registrationOf(sync.id)).registration.state).toBe('disabled');
    const events = await server.app.ctx.pool.query<{ message_type: string }>(`SELECT message_type FROM emt_messages WHERE stream_id = $1 ORDER BY stream_position`, [`sync-${sync.id}`]);
    expect(events.rows.map((r) => r.message_type)).toContain('SyncWebhookUnregistered');
    expect(server.logLines.join('\n')).not.toContain(secret);
  });

  it('a failed registration shows its error and is retried', async () => {
    registrations.failWith = 'the test upstream refuses';
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: HOUR });
    await api.patch(`/v1/syncs/${sync.id}`, { webhooks: { enabled: true } });
    const failed = await waitFor(async () => {
      const webhooks = await registrationOf(sync.id);
      return webhooks.registration.state === 'failed' ? webhooks : null;
    }, 15_000, 'the failure');
    expect(failed.registration.error).toContain('the test upstream refuses');
    registrations.failWith = null;
    // A change of the sync restarts its run, which registers at once.
    await api.patch(`/v1/syncs/${sync.id}`, { name: 'retried' });
    await waitFor(async () => (await registrationOf(sync.id)).registration.state === 'registered', 15_000, 'the registration');
  });

  it('deleting a sync removes its registration upstream', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: HOUR });
    await api.patch(`/v1/syncs/${sync.id}`, { webhooks: { enabled: true } });
    await waitFor(async () => (await registrationOf(sync.id)).registration.state === 'registered', 15_000, 'the registration');
    expect(registeredFor(sync.id)).toBeDefined();
    expect((await api.delete(`/v1/syncs/${sync.id}`)).status).toBe(204);
    expect(registeredFor(sync.id)).toBeUndefined();
    const answer = await fetch(`${server.url}/v1/webhooks/in/${sync.id}`, { method: 'POST', ...testWebhook('whsec_any_0123456789', [{ id: 'cus_1' }]) });
    expect(answer.status).toBe(404);
  });
});
