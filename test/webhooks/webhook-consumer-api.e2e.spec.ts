import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_RECORD_COLUMNS } from '../../src/consumers/sinks/plans.ts';
import type { JsonRecord } from '../../src/consumers/sinks/sink.ts';
import { webhookSinkKind, webhookTargetOf } from '../../src/consumers/webhook/kind.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { webhookConsumersProjection } from '../../src/projections/webhook-consumers.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { createSeedableSync } from '../support/nats.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const HOOK = 'https://127.0.0.1:9/hooks/syncline';
const AUTHORIZATION = 'Bearer receiver-token-0123456789';

describe('webhook consumers API (REST)', () => {
  let server: TestServer;
  let api: RestClient;
  let other: RestClient;
  let sync: { syncId: string; streamId: string };

  beforeAll(async () => {
    // 127.0.0.1 only: another loopback address stands for one the operator did not allow.
    server = await startTestServer({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32,::1/128,localhost' }, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    api = restClient(server.url, (await root.post('/v1/accounts', { name: 'webhook-api' })).body.api_token.token);
    other = restClient(server.url, (await root.post('/v1/accounts', { name: 'webhook-api-other' })).body.api_token.token);
    sync = await createSeedableSync(api, ['stripe:customer', 'stripe:invoice']);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows the signing secret once, then only its hint; secret and header values are sealed and never logged', async () => {
    const created = await api.post('/v1/webhook-consumers', { name: 'billing', sync_id: sync.syncId, url: HOOK, headers: { Authorization: AUTHORIZATION } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(() => new Webhook(secret)).not.toThrow();
    expect(created.body).toMatchObject({
      name: 'billing',
      stream_id: sync.streamId,
      sync_id: sync.syncId,
      collection_ids: null,
      provider: null,
      url: HOOK,
      headers: { authorization: `…${AUTHORIZATION.slice(-4)}` },
      secret_hint: `…${secret.slice(-4)}`,
      previous_secret_valid_until: null,
      batch_size: 1,
      timeout_ms: 30_000,
      max_deliver: -1,
      retry_window_ms: 86_400_000,
      max_in_flight: 1,
      deliver_policy: 'all',
      opt_start_time: null,
      opt_start_idx: null,
      reset_count: 0,
    });
    const id = created.body.id;

    const fetched = await api.get(`/v1/webhook-consumers/${id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).not.toHaveProperty('secret');
    expect(fetched.body.secret_hint).toBe(`…${secret.slice(-4)}`);
    const listed = await api.get('/v1/webhook-consumers');
    for (const text of [JSON.stringify(fetched.body), JSON.stringify(listed.body)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(AUTHORIZATION);
    }

    const stored = await server.app.ctx.pool.query(`SELECT row_to_json(w)::text AS row FROM webhook_consumers w WHERE id = $1`, [id]);
    expect(stored.rows[0].row).toMatch(/"secret_encrypted":"v1\./);
    const events = await server.app.ctx.pool.query(`SELECT message_data::text AS data FROM emt_messages WHERE stream_id = $1`, [`webhook-consumer-${id}`]);
    for (const text of [stored.rows[0].row, ...events.rows.map((r) => r.data), server.logLines.join('')]) {
      expect(text).not.toContain(secret.slice('whsec_'.length));
      expect(text).not.toContain(AUTHORIZATION);
    }
  });

  it('finds a consumer by id or name, under both paths; another account sees none of it', async () => {
    const created = await api.post('/v1/webhook_consumers', { name: 'by-name', url: HOOK, collection_ids: ['stripe:invoice'], provider: 'stripe', batch_size: 100 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ stream_id: sync.streamId, sync_id: null, collection_ids: ['stripe:invoice'], provider: 'stripe', batch_size: 100, headers: {} });
    const id = created.body.id;
    for (const path of [`/v1/webhook-consumers/${id}`, '/v1/webhook-consumers/by-name', `/v1/webhook_consumers/${id}`, '/v1/webhook_consumers/by-name']) {
      const answer = await api.get(path);
      expect([answer.status, answer.body.id]).toEqual([200, id]);
    }
    const names = (client: RestClient, path: string) => client.get(path).then((a) => a.body.data.map((c: { name: string }) => c.name));
    expect(await names(api, '/v1/webhook_consumers')).toEqual(expect.arrayContaining(['billing', 'by-name']));
    expect(await names(api, '/v1/webhook-consumers?limit=1')).toHaveLength(1);

    expect(await names(other, '/v1/webhook-consumers')).toEqual([]);
    for (const path of [`/v1/webhook-consumers/${id}`, '/v1/webhook-consumers/by-name']) {
      expect((await other.get(path)).status).toBe(404);
      expect((await other.patch(path, { batch_size: 5 })).status).toBe(404);
      expect((await other.post(`${path}/rotate-secret`)).status).toBe(404);
      expect((await other.post(`${path}/reset`, { deliver_policy: 'new' })).status).toBe(404);
      expect((await other.delete(path)).status).toBe(404);
    }
    expect((await api.get(`/v1/webhook-consumers/${id}`)).body.batch_size).toBe(100);
    expect((await api.get('/v1/webhook-consumers/nobody')).status).toBe(404);
  });

  it('refuses bad settings with machine-readable codes, sending nothing', async () => {
    let connections = 0;
    const receiver = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const codeOf = async (body: Record<string, unknown>) => {
      const answer = await api.post('/v1/webhook-consumers', { name: 'bad', url, ...body });
      return [answer.status, answer.body.error?.code, answer.body.error?.details.map((d: { path: string }) => d.path)];
    };
    // The URL
    expect(await codeOf({ url: 'not a url' })).toEqual([422, 'invalid_url', ['url']]);
    expect(await codeOf({ url: '/hooks/relative' })).toEqual([422, 'invalid_url', ['url']]);
    expect(await codeOf({ url: 'https://127.0.0.1:0/' })).toEqual([422, 'invalid_url', ['url']]);
    expect(await codeOf({ url: 'ftp://127.0.0.1/hooks' })).toEqual([422, 'unsupported_url_scheme', ['url']]);
    expect(await codeOf({ url: 'javascript:alert(1)' })).toEqual([422, 'unsupported_url_scheme', ['url']]);
    expect(await codeOf({ url: 'https://user:pw@127.0.0.1/hooks' })).toEqual([422, 'url_credentials', ['url']]);
    expect(await codeOf({ url: 'https://127.0.0.2/hooks' })).toEqual([422, 'egress_refused', ['url']]);
    expect(await codeOf({ url: 'https://hooks.nowhere.invalid/x' })).toEqual([422, 'unresolvable_host', ['url']]);
    expect(await codeOf({ url: 'http://hooks.example.test/x' })).toEqual([422, 'https_required', ['url']]);
    expect(await codeOf({ url: 'x'.repeat(2049) })).toEqual([400, 'validation_failed', ['url']]);
    expect(await codeOf({ url: undefined })).toEqual([400, 'validation_failed', ['url']]);
    // The headers
    expect(await codeOf({ headers: { 'Webhook-Signature': 'v1,forged' } })).toEqual([422, 'reserved_header', ['headers.webhook-signature']]);
    expect(await codeOf({ headers: { 'content-type': 'text/plain' } })).toEqual([422, 'reserved_header', ['headers.content-type']]);
    expect(await codeOf({ headers: { Host: 'elsewhere' } })).toEqual([422, 'reserved_header', ['headers.host']]);
    expect(await codeOf({ headers: { 'X-Key': 'a', 'x-key': 'b' } })).toEqual([422, 'duplicate_header', ['headers.x-key']]);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v']));
    expect(await codeOf({ headers: many })).toEqual([422, 'headers_too_large', ['headers']]);
    const huge = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`x-big${i}`, 'v'.repeat(4000)]));
    expect(await codeOf({ headers: huge })).toEqual([422, 'headers_too_large', ['headers']]);
    expect(await codeOf({ headers: { 'X-Big': 'v'.repeat(4097) } })).toEqual([400, 'validation_failed', ['headers.X-Big']]);
    expect(await codeOf({ headers: { 'bad name': 'v' } })).toEqual([400, 'validation_failed', ['headers.bad name']]);
    expect(await codeOf({ headers: { 'X-Split': 'a\r\nInjected: yes' } })).toEqual([400, 'validation_failed', ['headers.X-Split']]);
    expect(await codeOf({ headers: { 'X-Number': 5 } })).toEqual([400, 'validation_failed', ['headers.X-Number']]);
    // The delivery settings
    expect(await codeOf({ batch_size: 0 })).toEqual([400, 'validation_failed', ['batch_size']]);
    expect(await codeOf({ batch_size: 1001 })).toEqual([400, 'validation_failed', ['batch_size']]);
    expect(await codeOf({ timeout_ms: 999 })).toEqual([400, 'validation_failed', ['timeout_ms']]);
    expect(await codeOf({ timeout_ms: 120_001 })).toEqual([400, 'validation_failed', ['timeout_ms']]);
    expect(await codeOf({ max_deliver: 0 })).toEqual([400, 'validation_failed', ['max_deliver']]);
    expect(await codeOf({ retry_window_ms: 59_999 })).toEqual([400, 'validation_failed', ['retry_window_ms']]);
    expect(await codeOf({ retry_window_ms: 30 * 86_400_000 + 1 })).toEqual([400, 'validation_failed', ['retry_window_ms']]);
    expect(await codeOf({ max_in_flight: 101 })).toEqual([400, 'validation_failed', ['max_in_flight']]);
    expect(await codeOf({ deliver_policy: 'last' })).toEqual([400, 'validation_failed', ['deliver_policy']]);
    expect(await codeOf({ deliver_policy: 'by_start_idx' })).toEqual([422, 'invalid_start_position', ['opt_start_idx']]);
    expect(await codeOf({ secret: 'whsec_mine' })).toEqual([400, 'validation_failed', ['']]);
    // The selection
    expect(await codeOf({ sync_id: '00000000-0000-4000-8000-000000000000' })).toEqual([422, 'sync_not_found', ['sync_id']]);
    expect(await codeOf({ sync_id: sync.syncId, collection_ids: ['stripe:charge'] })).toEqual([422, 'unknown_collection', ['collection_ids']]);
    expect(await codeOf({ provider: 'nope' })).toEqual([422, 'unknown_provider', ['provider']]);
    expect(await codeOf({ name: 'billing' })).toEqual([409, 'consumer_name_taken', []]);
    expect((await api.raw('POST', '/v1/webhook-consumers', '{"name":')).body.error.code).toBe('malformed_json');
    expect((await api.get('/v1/webhook-consumers')).body.data.map((c: { name: string }) => c.name)).not.toContain('bad');
    await new Promise((resolve) => receiver.close(resolve));
    expect(connections).toBe(0);
  });

  it('accepts plain http to loopback, and names it cannot resolve yet over https', async () => {
    for (const [name, url] of [['loopback-v4', 'http://127.0.0.1:8080/hook'], ['loopback-v6', 'http://[::1]:8080/hook'], ['loopback-name', 'http://localhost/hook'], ['later', 'https://hooks.example.test/x']]) {
      const created = await api.post('/v1/webhook-consumers', { name, url });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.url).toBe(url);
      expect((await api.delete(`/v1/webhook-consumers/${name}`)).status).toBe(204);
    }
  });

  it('changes settings with PATCH: headers merge by name, null removes', async () => {
    const created = await api.post('/v1/webhook-consumers', { name: 'patchable', url: HOOK, headers: { 'X-Tenant': 'acme-tenant-0001', Authorization: AUTHORIZATION } });
    const id = created.body.id;
    const patched = await api.patch(`/v1/webhook-consumers/patchable`, {
      name: 'patched',
      url: 'https://127.0.0.1:8443/v2',
      batch_size: 50,
      timeout_ms: 5_000,
      max_deliver: 10,
      retry_window_ms: 3_600_000,
      max_in_flight: 4,
      headers: { authorization: null, 'X-Route': 'blue-route-000001' },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({
      id,
      name: 'patched',
      url: 'https://127.0.0.1:8443/v2',
      batch_size: 50,
      timeout_ms: 5_000,
      max_deliver: 10,
      retry_window_ms: 3_600_000,
      max_in_flight: 4,
      headers: { 'x-tenant': '…0001', 'x-route': '…0001' },
    });
    expect(Object.keys(patched.body.headers).sort()).toEqual(['x-route', 'x-tenant']);
    expect(patched.body.secret_hint).toBe(created.body.secret_hint);
    const bad = await api.patch(`/v1/webhook-consumers/${id}`, { url: 'ftp://127.0.0.1/' });
    expect([bad.status, bad.body.error.code]).toEqual([422, 'unsupported_url_scheme']);
    const reserved = await api.patch(`/v1/webhook-consumers/${id}`, { headers: { 'webhook-id': 'mine' } });
    expect([reserved.status, reserved.body.error.code]).toEqual([422, 'reserved_header']);
    const fixed = await api.patch(`/v1/webhook-consumers/${id}`, { sync_id: sync.syncId });
    expect([fixed.status, fixed.body.error.code]).toEqual([400, 'validation_failed']);
    const cleared = await api.patch(`/v1/webhook_consumers/${id}`, { headers: null });
    expect(cleared.body.headers).toEqual({});
    expect((await api.patch(`/v1/webhook-consumers/${id}`, { name: 'billing' })).status).toBe(409);

    const generation = await server.app.ctx.pool.query(`SELECT generation FROM webhook_consumers WHERE id = $1`, [id]);
    expect(generation.rows[0].generation).toBe(2);
    expect((await api.delete(`/v1/webhook_consumers/${id}`)).status).toBe(204);
    expect((await api.get(`/v1/webhook-consumers/${id}`)).status).toBe(404);
  });

  it('rotates the secret: the new one shown once, the old one signing beside it for the grace period asked', async () => {
    const created = await api.post('/v1/webhook-consumers', { name: 'rotating', url: HOOK });
    const rotated = await api.post(`/v1/webhook-consumers/rotating/rotate-secret`);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.secret_hint).toBe(`…${rotated.body.secret.slice(-4)}`);
    expect(Date.parse(rotated.body.previous_secret_valid_until) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect((await api.get(`/v1/webhook-consumers/${created.body.id}`)).body).not.toHaveProperty('secret');

    const leaked = await api.post(`/v1/webhook_consumers/${created.body.id}/rotate-secret`, { previous_secret_valid_ms: 0 });
    expect(leaked.status).toBe(200);
    expect(leaked.body.previous_secret_valid_until).toBeNull();
    const row = await server.app.ctx.prisma.webhookConsumer.findUniqueOrThrow({ where: { id: created.body.id } });
    expect([row.previousSecretEncrypted, row.generation]).toEqual([null, 2]);
    expect(server.app.ctx.secretBox.open(row.secretEncrypted)).toBe(leaked.body.secret);
    const bad = await api.post(`/v1/webhook-consumers/${created.body.id}/rotate-secret`, { previous_secret_valid_ms: -1 });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
  });

  it('starts where deliver_policy says, and a reset moves the start back or ahead as an event of its history', async () => {
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, [{ id: 'cus_a' }, { id: 'cus_b' }, { id: 'cus_c' }]);
    const head = (await server.app.ctx.prisma.streamHead.findUniqueOrThrow({ where: { streamId: sync.streamId } })).lastIdx;
    const startIdx = async (id: string) => (await server.app.ctx.prisma.webhookConsumer.findUniqueOrThrow({ where: { id } })).startIdx;

    const fresh = await api.post('/v1/webhook-consumers', { name: 'only-new', url: HOOK, deliver_policy: 'new' });
    expect(fresh.body.deliver_policy).toBe('new');
    expect(await startIdx(fresh.body.id)).toBe(head);
    const fromIdx = await api.post('/v1/webhook-consumers', { name: 'from-idx', url: HOOK, deliver_policy: 'by_start_idx', opt_start_idx: 2 });
    expect(fromIdx.body).toMatchObject({ deliver_policy: 'by_start_idx', opt_start_idx: 2 });
    expect(await startIdx(fromIdx.body.id)).toBe(1n);

    const rewound = await api.post(`/v1/webhook-consumers/only-new/reset`, { deliver_policy: 'all' });
    expect(rewound.status, JSON.stringify(rewound.body)).toBe(200);
    expect(rewound.body).toMatchObject({ deliver_policy: 'all', opt_start_idx: null, reset_count: 1 });
    expect(await startIdx(fresh.body.id)).toBe(0n);
    const since = '2020-01-01T00:00:00.000Z';
    const byTime = await api.post(`/v1/webhook_consumers/${fresh.body.id}/reset`, { deliver_policy: 'by_start_time', opt_start_time: since });
    expect(byTime.body).toMatchObject({ deliver_policy: 'by_start_time', opt_start_time: since, reset_count: 2 });
    const skipped = await api.post(`/v1/webhook-consumers/${fresh.body.id}/reset`, { deliver_policy: 'new' });
    expect(skipped.body.reset_count).toBe(3);
    expect(await startIdx(fresh.body.id)).toBe(head);

    const bad = await api.post(`/v1/webhook-consumers/${fresh.body.id}/reset`, { deliver_policy: 'by_start_time' });
    expect([bad.status, bad.body.error.code, bad.body.error.details[0].path]).toEqual([422, 'invalid_start_position', 'opt_start_time']);
    const events = await server.app.ctx.pool.query(`SELECT message_type FROM emt_messages WHERE stream_id = $1 ORDER BY stream_position`, [`webhook-consumer-${fresh.body.id}`]);
    expect(events.rows.map((r) => r.message_type)).toEqual(['WebhookConsumerCreated', 'WebhookConsumerReset', 'WebhookConsumerReset', 'WebhookConsumerReset']);
  });

  it('hands the sink runner each consumer with its settings, and a writer (secrets opened only then) that signs with the secret shown at creation', async () => {
    const received: { headers: Record<string, string>; body: string }[] = [];
    const receiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
    const created = await api.post('/v1/webhook-consumers', {
      name: 'to-runner',
      url,
      headers: { 'X-Api-Key': 'key-for-the-receiver' },
      collection_ids: ['stripe:customer'],
      batch_size: 25,
      max_deliver: 3,
      max_in_flight: 2,
      timeout_ms: 2_000,
      deliver_policy: 'by_start_idx',
      opt_start_idx: 5,
    });
    const consumers = await webhookSinkKind.listConsumers(server.app.ctx);
    const consumer = consumers.find((c) => c.id === created.body.id)!;
    const { settings, ...common } = consumer;
    expect(common).toEqual({
      kind: 'webhook',
      id: created.body.id,
      accountId: expect.any(String),
      name: 'to-runner',
      selection: { streamId: sync.streamId, syncId: null, collectionIds: ['stripe:customer'], provider: null },
      generation: 0,
      startIdx: 4n,
      resetCount: 0,
      batchSize: 25,
      maxInFlight: 2,
      maxDeliver: 3,
      retryWindowMs: 86_400_000,
      // Created without message_kind: records (issue 28).
      message: { messageKind: 'record', eventActions: null, eventChangedFields: null },
    });
    // The list holds the row as stored: sealed secrets, which the writer alone opens.
    expect(JSON.stringify(settings, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(created.body.secret.slice('whsec_'.length));
    expect(webhookTargetOf(server.app.ctx, settings)).toEqual({
      url,
      headers: { 'x-api-key': 'key-for-the-receiver' },
      secret: created.body.secret,
      previousSecret: null,
      previousSecretValidUntil: null,
      timeoutMs: 2_000,
    });
    await api.post(`/v1/webhook-consumers/${created.body.id}/reset`, { deliver_policy: 'all' });
    const reset = (await webhookSinkKind.listConsumers(server.app.ctx)).find((c) => c.id === created.body.id)!;
    expect([reset.startIdx, reset.resetCount, reset.generation]).toEqual([0n, 1, 1]);

    // As the runner reads them for webhooks: each record's JSON text, built by PostgreSQL.
    const rows = await server.app.ctx.pool.query<JsonRecord>(`SELECT ${JSON_RECORD_COLUMNS} FROM records c WHERE c.stream_id = $1 ORDER BY c.updated_idx LIMIT 2`, [sync.streamId]);
    expect(rows.rows).toHaveLength(2);
    const writer = await webhookSinkKind.openWriter(server.app.ctx, reset, new AbortController().signal);
    expect(await writer.write({ id: 'batch-from-runner', rows: rows.rows, attempt: 1 }, new AbortController().signal)).toEqual({ status: 204, responseExcerpt: '' });
    await writer.close();
    // The consumer's own runner delivers to the same receiver: delete it before closing.
    expect((await api.delete(`/v1/webhook-consumers/${created.body.id}`)).status).toBe(204);
    await new Promise((resolve) => receiver.close(resolve));
    const ours = received.find((r) => r.headers['webhook-id'] === 'batch-from-runner')!;
    expect(ours.headers['x-api-key']).toBe('key-for-the-receiver');
    const payload = new Webhook(created.body.secret).verify(ours.body, ours.headers) as { data: { upstream_id: string }[] };
    const answered = await api.get(`/v1/syncs/${sync.syncId}/records?collection_id=stripe:customer&limit=2`);
    expect(payload.data).toEqual(answered.body.data);
  });

  it('counts toward the account quota of consumers', async () => {
    const root = restClient(server.url, ROOT_TOKEN);
    const tenant = await root.post('/v1/accounts', { name: 'webhook-quota' });
    const limited = restClient(server.url, tenant.body.api_token.token);
    await limited.post('/v1/streams', { name: 'default' });
    expect((await root.patch(`/v1/accounts/${tenant.body.account.id}`, { limits: { max_consumers: 1 } })).status).toBe(200);
    expect((await limited.post('/v1/webhook-consumers', { name: 'first', url: HOOK })).status).toBe(201);
    const second = await limited.post('/v1/webhook-consumers', { name: 'second', url: HOOK });
    expect([second.status, second.body.error.code]).toEqual([422, 'quota_exceeded']);
    const http = await limited.post('/v1/http-consumers', { name: 'pull' });
    expect([http.status, http.body.error.code]).toEqual([422, 'quota_exceeded']);
  });

  it('rebuilds the read model from the log as it was', async () => {
    const dump = async () => (await server.app.ctx.pool.query(`SELECT row_to_json(w)::text AS row FROM webhook_consumers w ORDER BY id`)).rows.map((r) => r.row);
    const before = await dump();
    expect(before.length).toBeGreaterThan(5);
    await rebuildReadModels(server.app.ctx.pool, [webhookConsumersProjection] as never);
    expect(await dump()).toEqual(before);
  });
});
