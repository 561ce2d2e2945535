import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';
import { recordKey, WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * `await_consumer_ids` with push consumers (docs/MUTATIONS.md, "Waiting for consumers"): a
 * mutation's answer waits until a webhook receiver answered 2xx for the resulting version, or a
 * PostgreSQL target committed it.
 */
describe('mutations awaiting webhook and PostgreSQL consumers', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let target: TestDatabase;
  let targetDb: pg.Client;
  let api: RestClient;
  let syncId: string;
  const receiver = new WebhookReceiver();
  let webhookId: string;
  let postgresId: string;

  const run = (data: unknown[], extra: Record<string, unknown>) => api.post('/v1/mutations/run', { kind: 'create', sync_id: syncId, collection_id: 'stripe:customer', data, ...extra });

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 3 }, randomSeed: 23 });
    server = await startTestServer();
    api = restClient(server.url, ROOT_TOKEN);
    ({
      sync: { id: syncId },
    } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 1000 }));
    await waitForBackfill(api, syncId, 30_000);
    await receiver.start();
    const webhook = await api.post('/v1/webhook-consumers', { name: 'awaited-hook', sync_id: syncId, url: receiver.url, deliver_policy: 'new', timeout_ms: 1_000 });
    expect(webhook.status, JSON.stringify(webhook.body)).toBe(201);
    receiver.verifyWith(webhook.body.secret);
    webhookId = webhook.body.id;
    target = await createTestDatabase();
    targetDb = new pg.Client({ connectionString: target.url });
    await targetDb.connect();
    const postgres = await api.post('/v1/postgres-consumers', {
      name: 'awaited-table',
      sync_id: syncId,
      connection: { url: `postgres://postgres@127.0.0.1:5432/${new URL(target.url).pathname.slice(1)}` },
      table: 'customers',
    });
    expect(postgres.status, JSON.stringify(postgres.body)).toBe(201);
    postgresId = postgres.body.id;
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
    await receiver.close();
    await targetDb?.end();
    await target?.drop();
  });

  it('answers acked: false at the timeout while the receiver refuses, then acked once it took the version', async () => {
    await receiver.setMode('fail500');
    const started = Date.now();
    const refused = await run([{ email: 'refused@example.com' }], { await_consumer_ids: [webhookId], await_consumers_timeout: 400 });
    expect(refused.status).toBe(200);
    expect(refused.body.awaited_consumers).toEqual([{ consumer_id: webhookId, acked: false }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);

    await receiver.setMode('ok');
    const answer = await run([{ email: 'delivered@example.com' }], { await_consumer_ids: [webhookId, postgresId], await_consumers_timeout: 15_000 });
    expect(answer.status).toBe(200);
    expect(answer.body.awaited_consumers).toEqual([
      { consumer_id: webhookId, acked: true },
      { consumer_id: postgresId, acked: true },
    ]);
    // Done means delivered: both versions are at the receiver and in the table when the answer comes.
    for (const result of [refused.body.data[0].record, answer.body.data[0].record]) {
      expect(receiver.latestByKey().get(recordKey(result))?.updated_idx).toBeGreaterThanOrEqual(result.updated_idx);
      const { rows } = await targetDb.query('SELECT updated_idx::int AS idx FROM public.customers WHERE upstream_id = $1', [result.upstream_id]);
      expect(rows[0]?.idx).toBe(result.updated_idx);
    }
    expect(receiver.badSignatures).toEqual([]);

    const gql = graphqlClient(server.url, ROOT_TOKEN);
    const viaGraphql = await gql(
      `mutation($input: RunMutationInput!) { runMutation(input: $input) { items { ok } awaitedConsumers { consumerId acked } } }`,
      { input: { kind: 'create', syncId, collectionId: 'stripe:customer', data: [{ email: 'graph@example.com' }], awaitConsumerIds: [webhookId], awaitConsumersTimeout: 15_000 } },
    );
    expect(viaGraphql.errors).toBeUndefined();
    expect(viaGraphql.data.runMutation.awaitedConsumers).toEqual([{ consumerId: webhookId, acked: true }]);
  });

  it('a consumer of change events is awaited for the versions its filters let through only', async () => {
    const receivers = [new WebhookReceiver(), new WebhookReceiver()];
    try {
      const created = async (receiver: WebhookReceiver, body: Record<string, unknown>) => {
        await receiver.start();
        const answer = await api.post('/v1/webhook-consumers', { sync_id: syncId, url: receiver.url, deliver_policy: 'new', message_kind: 'event', ...body });
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        receiver.verifyWith(answer.body.secret);
        return answer.body.id as string;
      };
      const inserts = await created(receivers[0]!, { name: 'awaited-inserts', actions: ['inserted'] });
      const deletes = await created(receivers[1]!, { name: 'awaited-deletes', actions: ['deleted'] });
      const answer = await run([{ email: 'event@example.com' }], { await_consumer_ids: [inserts, deletes], await_consumers_timeout: 15_000 });
      expect(answer.status).toBe(200);
      // The deletes' consumer never sees an insert: done at once, though its position stays behind it.
      expect(answer.body.awaited_consumers).toEqual([
        { consumer_id: inserts, acked: true },
        { consumer_id: deletes, acked: true },
      ]);
      // Done means delivered: the insert's event is at the receiver when the answer comes.
      const record = answer.body.data[0].record as { upstream_id: string; updated_idx: number };
      const events = receivers[0]!.delivered.flatMap((d) => d.records as unknown as { action: string; record: { upstream_id: string; updated_idx: number } }[]);
      expect(events.map((e) => [e.action, e.record.upstream_id, e.record.updated_idx])).toContainEqual(['inserted', record.upstream_id, record.updated_idx]);
      expect(receivers[1]!.delivered).toEqual([]);
      expect(receivers.flatMap((r) => r.badSignatures)).toEqual([]);
    } finally {
      for (const receiver of receivers) await receiver.close();
    }
  });

  it("refuses a consumer id that is none of the account's, before anything is sent upstream", async () => {
    const root = restClient(server.url, ROOT_TOKEN);
    const stranger = restClient(server.url, (await root.post('/v1/accounts', { name: 'await-stranger' })).body.api_token.token);
    const own = await createStripeSync(stranger, emulator, { collections: ['customer'] });
    const customers = emulator.objects('customer').length;
    for (const [client, id] of [[stranger, webhookId], [stranger, postgresId], [api, '00000000-0000-4000-8000-000000000000']] as const) {
      const answer = await client.post('/v1/mutations/run', {
        kind: 'create',
        sync_id: client === api ? syncId : own.sync.id,
        collection_id: 'stripe:customer',
        data: [{ email: 'never@example.com' }],
        await_consumer_ids: [id],
      });
      expect([answer.status, answer.body.error.code, answer.body.error.details[0].path]).toEqual([422, 'consumer_not_found', 'await_consumer_ids[0]']);
    }
    expect(emulator.objects('customer')).toHaveLength(customers);
  });
});
