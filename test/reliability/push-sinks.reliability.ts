/**
 * Part — push consumers (issue 23): webhook and PostgreSQL delivery through receiver outages,
 * server SIGKILLs and a restarting target database. Each ends comparing what the target holds
 * with the stream's latest versions.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { appendRecords } from '../../src/sync/ingest/append-records.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { allRecords, type RecordBody } from '../support/records.ts';
import { ROOT_TOKEN, startTestServer, TEST_SECRET_KEY, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForUpstreamMatch } from '../support/stripe-sync.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';
import { recordKey, WebhookReceiver } from '../support/webhook-receiver.ts';
import { Prng, suiteSeed } from './support/prng.ts';
import { reportFigures } from './support/report.ts';

/** Each of the three outage phases (500s, hanging, refused connections); the issue asks for 2 minutes in all. */
const PHASE_MS = Number(process.env.RELIABILITY_SINK_OUTAGE_MS ?? 120_000) / 3;
const KILLS = Number(process.env.RELIABILITY_SINK_KILLS ?? 10);

type Row = { sync_id: string; collection_id: string; upstream_id: string; updated_idx: string; deleted: boolean; data: Record<string, unknown> };

/** Differences between what a target holds (newest version per record) and the stream's records. */
function differences(records: RecordBody[], held: Map<string, { updated_idx: number | string; deleted: boolean; data: Record<string, unknown> }>): string[] {
  const problems: string[] = [];
  for (const r of records) {
    const got = held.get(recordKey(r));
    if (!got) problems.push(`${recordKey(r)}@${r.updated_idx}: missing`);
    else if (Number(got.updated_idx) !== r.updated_idx) problems.push(`${recordKey(r)}: has ${got.updated_idx}, stream ${r.updated_idx}`);
    else if (got.deleted !== r.deleted || !isDeepStrictEqual(got.data, r.data)) problems.push(`${recordKey(r)}@${r.updated_idx}: other content`);
  }
  if (held.size !== records.length) problems.push(`target holds ${held.size} records, the stream ${records.length}`);
  return problems;
}

async function tableRows(client: pg.Client, table: string): Promise<Map<string, Row>> {
  const { rows } = await client.query<Row>(`SELECT sync_id, collection_id, upstream_id, updated_idx::text, deleted, data FROM ${table}`);
  return new Map(rows.map((r) => [recordKey(r), r]));
}

async function streamRecords(api: RestClient, syncIds: string[]): Promise<RecordBody[]> {
  return (await Promise.all(syncIds.map((id) => allRecords(api, id)))).flat();
}

/** A stream's records read from the server's database (records written without a sync have no REST listing). */
async function storedRecords(server: TestServer, streamId: string): Promise<RecordBody[]> {
  const { rows } = await server.app.ctx.pool.query<Row>('SELECT sync_id, collection_id, upstream_id, updated_idx::text, deleted, data FROM records WHERE stream_id = $1', [streamId]);
  return rows.map((r) => ({ ...r, updated_idx: Number(r.updated_idx), upstream_created_at: null, upstream_updated_at: null }));
}

describe('push consumers: webhook receiver outage', () => {
  let server: TestServer;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await server?.stop();
  });

  it('500s, then a hanging receiver, then refused connections for 2 minutes: every record arrives, in order per record, nothing dead-lettered', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const streamId = (await api.post('/v1/streams', { name: `outage-${randomUUID().slice(0, 8)}` })).body.id as string;
    const syncId = randomUUID();
    const consumer = await api.post('/v1/webhook-consumers', { name: 'outage', stream_id: streamId, url: receiver.url, batch_size: 20, timeout_ms: 5000 });
    expect(consumer.status).toBe(201);
    receiver.verifyWith(consumer.body.secret);

    let changes = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const round = changes++;
        await appendRecords(server.app.ctx, {
          syncId,
          streamId,
          collectionId: 'stripe:customer',
          source: 'changes',
          objects: Array.from({ length: 5 }, (_, j) => {
            const id = `cus_${(round * 5 + j) % 300}`;
            return { upstreamId: id, data: { id, round }, upstreamCreatedAt: null, upstreamUpdatedAt: null, deleted: false };
          }),
        });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await new Promise((r) => setTimeout(r, 3000));
    const phases: Record<string, { delivered: number; lastError: unknown }> = {};
    for (const mode of ['fail500', 'hang', 'refuse'] as const) {
      await receiver.setMode(mode);
      const before = receiver.delivered.length;
      await new Promise((r) => setTimeout(r, PHASE_MS));
      const status = await api.get(`/v1/webhook-consumers/${consumer.body.id}`);
      phases[mode] = { delivered: receiver.delivered.length - before, lastError: status.body.last_error };
      expect(status.body.last_error, `the ${mode} phase shows in the consumer's status`).toBeTruthy();
    }
    await receiver.setMode('ok');
    const recoveredAt = Date.now();
    writing = false;
    await writer;

    const records = await storedRecords(server, streamId);
    await waitFor(async () => differences(records, receiver.latestByKey()).length === 0, 180_000, 'every record at the receiver after the outage').catch((error: Error) => {
      console.log(differences(records, receiver.latestByKey()).slice(0, 20));
      throw error;
    });
    const catchUpMs = Date.now() - recoveredAt;
    const deadLetters = await api.get(`/v1/webhook-consumers/${consumer.body.id}/dead-letters`);
    expect(deadLetters.status).toBe(200);
    expect(deadLetters.body.data).toEqual([]);
    expect(receiver.outOfOrder()).toEqual([]);
    expect(receiver.badSignatures).toEqual([]);
    expect(phases.fail500!.delivered + phases.hang!.delivered + phases.refuse!.delivered).toBe(0);
    const deliveries = await api.get(`/v1/webhook-consumers/${consumer.body.id}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.data.some((d: { status: number | null }) => d.status === 500)).toBe(true);
    reportFigures('push-sinks-outage', {
      outageMs: PHASE_MS * 3,
      changeRounds: changes,
      records: records.length,
      deliveries: receiver.delivered.length,
      refusedAnswers: receiver.refusedAnswers,
      catchUpMs,
      deadLetters: 0,
      violations: receiver.outOfOrder().length + receiver.badSignatures.length,
    });
  }, PHASE_MS * 3 + 300_000);
});

describe('push consumers: SIGKILLs during webhook and PostgreSQL delivery', () => {
  const seed = suiteSeed('push-sinks', Math.floor(Math.random() * 2 ** 31));
  const random = new Prng(seed);
  let emulator: StripeEmulator;
  let database: TestDatabase;
  let target: TestDatabase;
  let server: ChildServer | null = null;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 3000, product: 100, price: 100, subscription: 0, invoice: 0, charge: 0 }, randomSeed: seed });
    database = await createTestDatabase();
    target = await createTestDatabase();
    await receiver.start();
  });
  afterAll(async () => {
    if (server) await stopServer(server.child, 'SIGKILL');
    await receiver.close();
    await emulator?.close();
    await database?.drop();
    await target?.drop();
  });

  it(`${KILLS} kills: the receiver and the table end with every latest version; redeliveries keep their webhook-id`, async () => {
    const port = randomPort();
    // The kills land at random, often during a sync's first steps after a start (since issue 25 a
    // Stripe poll reads each change back, so those steps take seconds): three such deaths in a row
    // trip the crash guard by design (SYNCLINE_SYNC_CRASH_LIMIT, tested in the hardening part), which
    // would stop the sync this part needs. These deaths come from outside: the limit is set past them.
    const env = { DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'warn', SYNCLINE_SYNC_CRASH_LIMIT: String(KILLS + 1) };
    server = await spawnServer(env, port);
    const api = restClient(server.url, ROOT_TOKEN);
    const syncId = (await createStripeSync(api, emulator, { rateLimit: { allowed_requests: 20, interval: 1, max_concurrent_requests: 2 }, pollIntervalMs: 1000 })).sync.id as string;
    const webhook = await api.post('/v1/webhook-consumers', { name: 'kills', sync_id: syncId, url: receiver.url, batch_size: 50 });
    expect(webhook.status).toBe(201);
    receiver.verifyWith(webhook.body.secret);
    const postgres = await api.post('/v1/postgres-consumers', { name: 'kills', sync_id: syncId, connection: { url: target.url }, table: 'public.kills' });
    expect(postgres.status).toBe(201);
    emulator.startRandomMutations({ everyMs: 300, perTick: 3 });

    const afterMs: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const wait = random.int(500, 4000);
      afterMs.push(wait);
      await new Promise((r) => setTimeout(r, wait));
      expect(await stopServer(server.child, 'SIGKILL')).toBeNull();
      if (random.chance(0.3)) await new Promise((r) => setTimeout(r, random.int(100, 1500)));
      server = await spawnServer(env, port);
    }
    emulator.stopRandomMutations();
    await waitForUpstreamMatch(api, syncId, emulator, 180_000, ['customer', 'product', 'price']);
    // The stream as it is at each look: a change the sync still records after the upstream matched
    // (another collection's, a late read-back) reaches the targets too, and is compared with them.
    let records = await streamRecords(api, [syncId]);

    await waitFor(async () => differences((records = await streamRecords(api, [syncId])), receiver.latestByKey()).length === 0, 180_000, 'every latest version at the receiver').catch((error: Error) => {
      console.log(differences(records, receiver.latestByKey()).slice(0, 20));
      throw error;
    });
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      await waitFor(async () => differences((records = await streamRecords(api, [syncId])), await tableRows(client, 'public.kills')).length === 0, 180_000, 'the table to equal the stream').catch(async (error: Error) => {
        console.log(differences(records, await tableRows(client, 'public.kills')).slice(0, 20));
        throw error;
      });
    } finally {
      await client.end();
    }
    const duplicatesWithNewIds = receiver.duplicatesWithNewIds();
    expect(duplicatesWithNewIds).toEqual([]);
    expect(receiver.outOfOrder()).toEqual([]);
    expect(receiver.badSignatures).toEqual([]);
    const versions = receiver.delivered.reduce((n, d) => n + d.records.length, 0);
    reportFigures('push-sinks-kills', {
      seed,
      kills: KILLS,
      afterMs,
      records: records.length,
      webhookDeliveries: receiver.delivered.length,
      webhookVersionsReceived: versions,
      redeliveredVersions: versions - new Set(receiver.delivered.flatMap((d) => d.records.map((r) => `${recordKey(r)}@${r.updated_idx}`))).size,
      violations: duplicatesWithNewIds.length + receiver.outOfOrder().length + receiver.badSignatures.length,
    });
  }, 900_000);
});

describe('push consumers: the target PostgreSQL restarts mid-delivery', () => {
  let server: TestServer;
  let target: TestDatabase;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    target = await createTestDatabase();
    const url = new URL(target.url);
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    await proxy.up();
  });
  afterAll(async () => {
    await proxy?.down();
    await server?.stop();
    await target?.drop();
  });

  it('delivery resumes after each restart and the table equals the stream', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const streamId = (await api.post('/v1/streams', { name: `pg-restart-${randomUUID().slice(0, 8)}` })).body.id as string;
    const syncId = randomUUID();
    const write = async (from: number, count: number, round: number) => {
      for (let i = from; i < from + count; i += 500) {
        await appendRecords(server.app.ctx, {
          syncId,
          streamId,
          collectionId: 'stripe:customer',
          source: 'changes',
          objects: Array.from({ length: Math.min(500, from + count - i) }, (_, j) => ({
            upstreamId: `cus_${i + j}`,
            data: { id: `cus_${i + j}`, round },
            upstreamCreatedAt: null,
            upstreamUpdatedAt: null,
            deleted: round > 0 && (i + j) % 7 === 0,
          })),
        });
      }
    };
    await write(0, 30_000, 0);
    const url = new URL(target.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const consumer = await api.post('/v1/postgres-consumers', { name: 'restarts', stream_id: streamId, connection: { url: url.toString() }, table: 'public.restarts' });
    expect(consumer.status).toBe(201);

    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    const errorsSeen: unknown[] = [];
    try {
      for (let restart = 0; restart < 3; restart++) {
        await waitFor(async () => (await tableRows(client, 'public.restarts')).size > restart * 5000, 60_000, 'delivery under way');
        await proxy.down();
        await write(restart * 3000, 3000, restart + 1);
        await waitFor(async () => {
          const status = await api.get(`/v1/postgres-consumers/${consumer.body.id}`);
          return status.body.last_error ? status.body.last_error : null;
        }, 60_000, 'the consumer to show the target down').then((e) => errorsSeen.push(e));
        await proxy.up();
      }
      const records = await storedRecords(server, streamId);
      await waitFor(async () => differences(records, await tableRows(client, 'public.restarts')).length === 0, 180_000, 'the table to equal the stream').catch(async (error: Error) => {
        console.log(differences(records, await tableRows(client, 'public.restarts')).slice(0, 20));
        throw error;
      });
      const status = await api.get(`/v1/postgres-consumers/${consumer.body.id}`);
      expect(status.body.lag).toBe(0);
      reportFigures('push-sinks-pg-restart', { restarts: 3, records: records.length, errorsSeen: errorsSeen.length, violations: 0 });
    } finally {
      await client.end();
    }
  }, 600_000);
});

describe('push consumers: bad settings are refused before anything is sent', () => {
  let server: TestServer;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await server?.stop();
  });

  it('answers 4xx with a code for each, creates nothing and sends nothing', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    const streamId = (await api.post('/v1/streams', { name: `bad-${randomUUID().slice(0, 8)}` })).body.id as string;
    const webhook = (settings: Record<string, unknown>) => api.post('/v1/webhook-consumers', { name: `bad-${randomUUID().slice(0, 6)}`, stream_id: streamId, ...settings });
    const postgres = (settings: Record<string, unknown>) =>
      api.post('/v1/postgres-consumers', { name: `bad-${randomUUID().slice(0, 6)}`, stream_id: streamId, connection: { url: server.database.url }, ...settings });
    const cases: Array<[string, Promise<{ status: number; body: any }>]> = [
      ['unreachable url', webhook({ url: 'http://unreachable.invalid/hook' })],
      ['malformed url', webhook({ url: 'http//127.0.0.1:1/hook' })],
      ['non-http scheme', webhook({ url: 'ftp://127.0.0.1/hook' })],
      ['javascript scheme', webhook({ url: 'javascript:alert(1)' })],
      ['huge headers', webhook({ url: receiver.url, headers: { 'x-big': 'x'.repeat(64 * 1024) } })],
      ['too many headers', webhook({ url: receiver.url, headers: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-h${i}`, 'v'])) })],
      ['a header that is not a header name', webhook({ url: receiver.url, headers: { 'bad header\r\n': 'v' } })],
      ['batch size out of range', webhook({ url: receiver.url, batch_size: 100_000 })],
      ['table not an identifier', postgres({ table: 'public.my-table' })],
      ['SQL in the table name', postgres({ table: 'public.t; DROP TABLE records; --' })],
      ['quoted table name', postgres({ table: '"public"."t"' })],
      ['three-part table name', postgres({ table: 'a.b.c' })],
    ];
    const answers: Record<string, { status: number; code: unknown }> = {};
    for (const [name, answer] of cases) {
      const { status, body } = await answer;
      answers[name] = { status, code: body?.error?.code ?? body?.code };
    }
    for (const [name, { status, code }] of Object.entries(answers)) {
      expect(status, name).toBeGreaterThanOrEqual(400);
      expect(status, name).toBeLessThan(500);
      expect(typeof code, `${name}: machine-readable code`).toBe('string');
    }
    expect((await api.get('/v1/webhook-consumers')).body.data).toEqual([]);
    expect((await api.get('/v1/postgres-consumers')).body.data).toEqual([]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.delivered).toEqual([]);
    reportFigures('push-sinks-bad-settings', { cases: cases.length, answers, violations: 0 });
  }, 120_000);
});
