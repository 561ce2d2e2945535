import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { WebhookInbox } from '../support/webhook-inbox.ts';

/**
 * Logs (docs/OPERATIONS.md "Logs"), read as the server wrote them at level trace: every secret
 * given to the API (a credential's token, a webhook consumer's header values and signing secret, a
 * PostgreSQL consumer's password, in fields and in a URL, the notification secret, an account's
 * first API token) appears in no line while they are created and used; lines name the request,
 * account, sync, collection and consumer they concern; each state change of a sync or consumer is
 * one line.
 */

type Line = Record<string, unknown> & { msg?: string; stateChange?: string };

describe('logs', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  const inbox = new WebhookInbox('/deliveries');
  const secrets: string[] = [];
  const lines = (): Line[] => server.logLines.flatMap((text) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line));
  const stateChanges = (key: string, id: string, change: string) => lines().filter((l) => l[key] === id && l.stateChange === change);

  beforeAll(async () => {
    await inbox.start();
    emulator = await startStripeEmulator({ seed: { customer: 20 }, randomSeed: 3 });
    server = await startTestServer({ LOG_LEVEL: 'trace' });
    api = restClient(server.url, ROOT_TOKEN);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
    await inbox.close();
  });

  it('no secret value appears while credentials and consumers with secrets are created and used', async () => {
    const account = await api.post('/v1/accounts', { name: 'log-secrets' });
    expect(account.status).toBe(201);
    secrets.push(account.body.api_token.token);
    const tenant = restClient(server.url, account.body.api_token.token);
    const token = 'sk_test_logsecret_0123456789abcdef';
    secrets.push(token);
    const credential = await tenant.post('/v1/credentials', { kind: 'stripe', access_token: token, api_base_url: emulator.url, name: 'secret' });
    expect(credential.status).toBe(201);
    const refused = await tenant.post('/v1/credentials', { kind: 'stripe', access_token: `${token}-again`, bogus: 1 });
    expect(refused.status).toBe(400);
    const sync = await createStripeSync(tenant, emulator, { collections: ['customer'] });

    const headerSecret = 'Bearer hdr-logsecret-0123456789';
    const apiKey = 'key-logsecret-9876543210';
    secrets.push(headerSecret, 'hdr-logsecret-0123456789', apiKey);
    inbox.answerNext(500, 401);
    const webhook = await tenant.post('/v1/webhook-consumers', { name: 'with-headers', sync_id: sync.sync.id, url: inbox.url, headers: { authorization: headerSecret, 'x-api-key': apiKey } });
    expect(webhook.status).toBe(201);
    secrets.push(webhook.body.secret);
    const rotated = await tenant.post(`/v1/webhook-consumers/${webhook.body.id}/rotate-secret`, {});
    secrets.push(rotated.body.secret);

    const password = 'pg-logsecret-password-0123';
    secrets.push(password);
    const database = new URL(server.database.url).pathname.slice(1);
    const byFields = await tenant.post('/v1/postgres-consumers', {
      name: 'warehouse',
      sync_id: sync.sync.id,
      connection: { host: '127.0.0.1', port: 5432, database, user: 'postgres', password },
      table: 'public.log_target',
    });
    expect(byFields.status, JSON.stringify(byFields.body)).toBe(201);
    const urlPassword = 'pg-url-logsecret-4567';
    secrets.push(urlPassword);
    // Nothing listens on port 1: the creation's target check fails, naming no password.
    const byUrl = await tenant.post('/v1/postgres-consumers', { name: 'unreachable', sync_id: sync.sync.id, connection: { url: `postgres://postgres:${urlPassword}@127.0.0.1:1/${database}` } });
    expect(byUrl.status).toBe(422);

    const notify = await tenant.raw('PUT', '/v1/account/notification-webhook', { url: inbox.url });
    secrets.push(notify.body.secret);

    // The consumers ran (the webhook one met its receiver's 500 and 401) before the logs are read.
    await waitForBackfill(tenant, sync.sync.id, 30_000);
    await waitFor(async () => inbox.arrived.length >= 3, 30_000, 'the webhook consumer delivered after its failures');
    const written = server.logLines.join('');
    expect(written.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(written, 'a secret in the log').not.toContain(secret);
  }, 90_000);

  it('request lines carry the request and account ids; the answer names the request', async () => {
    const answer = await api.raw('GET', '/v1/syncs/not-a-uuid/status', undefined, { headers: { 'x-request-id': 'req-logs-1' } });
    expect(answer.headers.get('x-request-id')).toBe('req-logs-1');
    const fresh = await api.get('/v1/streams');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // A command logged inside a request: root changing another account's sync names both.
    const tenant = restClient(server.url, (await api.post('/v1/accounts', { name: 'log-ids' })).body.api_token.token);
    const { sync } = await createStripeSync(tenant, emulator, { collections: ['customer'] });
    const paused = await api.raw('POST', `/v1/syncs/${sync.id}/pause`, {}, { headers: { 'x-request-id': 'req-logs-2' } });
    expect(paused.status).toBe(200);
    const override = lines().find((l) => l.requestId === 'req-logs-2' && l.msg?.includes('operator override'));
    expect(override).toMatchObject({ requestId: 'req-logs-2', syncId: sync.id });
    const pausedLine = stateChanges('syncId', sync.id, 'sync.paused');
    expect(pausedLine).toHaveLength(1);
    expect(pausedLine[0]).toMatchObject({ requestId: 'req-logs-2', syncId: sync.id });
  }, 60_000);

  it('one line per state change of a sync (started, backfill completed, error, recovered, paused), naming it, its account and collection', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 1000 });
    await waitForBackfill(api, sync.id, 30_000);
    emulator.setFaults({ truncatedRate: 1 });
    await waitFor(async () => (await syncStatus(api, sync.id)).state === 'error', 30_000, 'the sync in error');
    emulator.setFaults({});
    await waitFor(async () => (await syncStatus(api, sync.id)).state !== 'error', 30_000, 'the sync recovered');
    expect((await api.post(`/v1/syncs/${sync.id}/pause`, {})).status).toBe(200);
    await waitFor(async () => stateChanges('syncId', sync.id, 'sync.paused').length > 0, 10_000, 'the pause line');

    const started = stateChanges('syncId', sync.id, 'sync.started');
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started[0]).toMatchObject({ accountId: expect.any(String), provider: 'stripe' });
    expect(stateChanges('syncId', sync.id, 'sync.backfill_completed')).toEqual([expect.objectContaining({ collectionId: 'stripe:customer' })]);
    expect(stateChanges('syncId', sync.id, 'sync.error')).toEqual([expect.objectContaining({ collectionId: 'stripe:customer', accountId: expect.any(String) })]);
    expect(stateChanges('syncId', sync.id, 'sync.recovered')).toHaveLength(1);
    expect(stateChanges('syncId', sync.id, 'sync.paused')).toHaveLength(1);
    // The run's other lines name the sync and account too, and a collection's steps their collection.
    const runLines = lines().filter((l) => l.syncId === sync.id);
    expect(runLines.every((l) => typeof l.accountId === 'string')).toBe(true);
    expect(runLines.some((l) => l.msg === 'sync step failed' && l.collectionId === 'stripe:customer')).toBe(true);
  }, 90_000);

  it('one line per state change of a consumer (started, error, recovered), naming it and its account', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 60_000 });
    await waitForBackfill(api, sync.id, 30_000);
    inbox.reset();
    inbox.answerNext(500, 500, 503);
    const consumer = await api.post('/v1/webhook-consumers', { name: 'log-flaky', sync_id: sync.id, url: inbox.url, batch_size: 100 });
    const id = consumer.body.id as string;
    await waitFor(async () => stateChanges('consumerId', id, 'consumer.recovered').length > 0, 30_000, 'the recovery line');
    for (const change of ['consumer.started', 'consumer.error', 'consumer.recovered']) {
      expect(stateChanges('consumerId', id, change), change).toEqual([expect.objectContaining({ consumerId: id, accountId: expect.any(String) })]);
    }
  }, 60_000);
});
