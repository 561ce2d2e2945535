import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/app-context.ts';
import { prepareMutation, requestMutationRun, runMutationInput } from '../../src/commands/mutations.ts';
import { parseRestInput } from '../../src/http/rest-input.ts';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';

const nowMs = () => performance.timeOrigin + performance.now();

describe('Mutation requests: idempotency keys, refusals before anything is sent, the sync rate limit', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let syncId: string;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 3, product: 2, price: 2, charge: 2 }, randomSeed: 5 });
    server = await startTestServer();
    api = restClient(server.url, ROOT_TOKEN);
    ({
      sync: { id: syncId },
    } = await createStripeSync(api, emulator, { collections: ['customer', 'product', 'charge'], pollIntervalMs: 1000 }));
    await waitForBackfill(api, syncId, 30_000);
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  const createCustomers = (emails: string[], extra: Record<string, unknown> = {}) => ({
    kind: 'create',
    sync_id: syncId,
    collection_id: 'stripe:customer',
    data: emails.map((email) => ({ email })),
    ...extra,
  });
  const upstreamWithEmail = (email: string) => emulator.objects('customer').filter((o) => o.email === email);
  const writesSeen = () => emulator.requestLog.filter((e) => e.method !== 'GET').length;

  it('answers concurrent calls with the same idempotency key once: one object each, identical answers', async () => {
    const body = createCustomers(['same-1@example.com', 'same-2@example.com'], { idempotency_key: 'order-42' });
    const [a, b] = await Promise.all([api.post('/v1/mutations/run', body), api.post('/v1/mutations/run', body)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body).toEqual(b.body);
    expect(a.body.data.every((i: { ok: boolean }) => i.ok)).toBe(true);
    expect([a.headers.get('idempotent-replayed'), b.headers.get('idempotent-replayed')].sort()).toEqual(['true', null].sort());
    expect(upstreamWithEmail('same-1@example.com')).toHaveLength(1);
    expect(upstreamWithEmail('same-2@example.com')).toHaveLength(1);

    // Each item reached Stripe with its own key, derived from the run: Stripe's events name it.
    const events = await fetch(`${emulator.url}/v1/events?type=customer.created&limit=100`, { headers: { authorization: `Bearer ${emulator.apiKey}` } });
    const keys = new Map(
      ((await events.json()) as { data: Array<{ data: { object: { id: string } }; request: { idempotency_key: string | null } }> }).data.map((e) => [
        e.data.object.id,
        e.request.idempotency_key,
      ]),
    );
    expect(a.body.data.map((i: { record: { upstream_id: string } }) => keys.get(i.record.upstream_id))).toEqual([`${a.body.id}:0`, `${a.body.id}:1`]);

    // Same key, another request: refused, nothing sent.
    const writes = writesSeen();
    const reused = await api.post('/v1/mutations/run', createCustomers(['other@example.com'], { idempotency_key: 'order-42' }));
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(writesSeen()).toBe(writes);
  });

  it('creates exactly once when the caller gives up on a call and retries it with the same key', async () => {
    const emails = Array.from({ length: 10 }, (_, i) => `timeout-${i}@example.com`);
    const body = createCustomers(emails, { idempotency_key: 'import-7' });
    const since = nowMs();
    const caller = new AbortController();
    const first = api.post('/v1/mutations/run', body, { signal: caller.signal }).catch((error: Error) => error);
    // The caller's timeout strikes once the first write reached Stripe: it never learns the outcome.
    const deadline = Date.now() + 10_000;
    while (!emulator.requestLog.some((e) => e.method === 'POST' && e.path === '/v1/customers' && e.startedAt > since) && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    caller.abort();
    expect(await first).toBeInstanceOf(Error);

    const retried = await api.post('/v1/mutations/run', body);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body.data.map((i: { ok: boolean; record: { data: { email: string } } }) => i.ok && i.record.data.email)).toEqual(emails);
    for (const email of emails) expect(upstreamWithEmail(email)).toHaveLength(1);

    const writes = writesSeen();
    const again = await api.post('/v1/mutations/run', body);
    expect(again.body).toEqual(retried.body);
    expect(writesSeen()).toBe(writes); // answered from the stored results
  });

  it('finishes a run an earlier attempt left unfinished, without creating twice what it had sent', async () => {
    const ctx = server.app.ctx;
    const root = await ctx.prisma.account.findFirstOrThrow({ where: { isRoot: true } });
    const token = await ctx.prisma.apiToken.findFirstOrThrow({ where: { accountId: root.id } });
    const principal: Principal = { accountId: root.id, tokenId: token.id, isRoot: true };
    const body = { kind: 'create', sync_id: syncId, collection_id: 'stripe:customer', data: [{ email: 'crash@example.com', name: 'Crash' }, { email: 'after-crash@example.com' }], idempotency_key: 'crash-1' };

    // An attempt recorded the request, sent item 0 to Stripe, and the process died before the answer was recorded.
    const prepared = await prepareMutation(ctx, principal, parseRestInput(runMutationInput, body));
    expect(await requestMutationRun(ctx, principal, prepared)).toBe(true);
    const sent = await fetch(`${emulator.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.apiKey}`, 'idempotency-key': `${prepared.runId}:0`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'crash@example.com', name: 'Crash' }).toString(),
    });
    const original = (await sent.json()) as { id: string };
    const audit = async () => ((await api.get(`/v1/syncs/${syncId}/mutations?limit=1000`)).body.data as Array<Record<string, any>>).find((r) => r.id === prepared.runId)!;
    expect(await audit()).toMatchObject({
      status: 'running',
      attempts: 1,
      applied: 0,
      items: [
        { index: 0, status: 'requested', fields: ['email', 'name'], settled_at: null },
        { index: 1, status: 'requested', fields: ['email'], settled_at: null },
      ],
    });

    const retried = await api.post('/v1/mutations/run', body);
    expect(retried.status).toBe(200);
    expect(retried.body.id).toBe(prepared.runId);
    expect(retried.body.data[0]).toMatchObject({ ok: true, record: { upstream_id: original.id, data: { email: 'crash@example.com' } } });
    expect(retried.body.data[1]).toMatchObject({ ok: true, record: { data: { email: 'after-crash@example.com' } } });
    expect(upstreamWithEmail('crash@example.com')).toHaveLength(1);
    expect(upstreamWithEmail('after-crash@example.com')).toHaveLength(1);
    expect(await audit()).toMatchObject({ status: 'completed', attempts: 2, applied: 2, items: [{ status: 'applied' }, { status: 'applied' }] });
  });

  it('refuses bad input with a code and sends nothing upstream', async () => {
    const other = restClient(server.url, (await api.post('/v1/accounts', { name: 'someone else' })).body.api_token.token);
    const base = { kind: 'update', sync_id: syncId, collection_id: 'stripe:customer', data: [{ id: 'cus_1', name: 'x' }] };
    const writes = writesSeen();
    const cases: Array<[unknown, number, string, RestClient?]> = [
      [{ ...base, kind: 'upsert' }, 400, 'validation_failed'],
      [{ ...base, sync_id: '00000000-0000-4000-8000-000000000000' }, 404, 'not_found'],
      [{ ...base, sync_id: 'not-a-sync' }, 404, 'not_found'],
      [base, 404, 'not_found', other],
      [{ ...base, collection_id: 'stripe:invoice' }, 422, 'collection_not_in_sync'],
      [{ ...base, kind: 'delete', collection_id: 'stripe:charge' }, 422, 'mutation_not_supported'],
      [{ ...base, data: [] }, 400, 'validation_failed'],
      [{ ...base, data: Array.from({ length: 101 }, (_, i) => ({ id: `cus_${i}` })) }, 400, 'validation_failed'],
      [{ ...base, data: ['not an object'] }, 400, 'validation_failed'],
      [{ ...base, upstream_ids: ['cus_1'] }, 400, 'validation_failed'],
      [{ ...base, surprise: true }, 400, 'validation_failed'],
      ['{"kind": "create", "data": [', 400, 'malformed_json'],
      [{ ...base, await_consumer_ids: ['00000000-0000-4000-8000-000000000000'] }, 422, 'consumer_not_found'],
    ];
    for (const [body, status, code, client] of cases) {
      const answer = await (client ?? api).post('/v1/mutations/run', body);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({ body, status, code });
    }
    const noIds = await api.post('/v1/mutations/run', { ...base, data: [{ id: 'cus_1', name: 'a' }, { name: 'b' }, { id: '', name: 'c' }, { id: 7 }] });
    expect(noIds.status).toBe(422);
    expect(noIds.body.error.code).toBe('upstream_id_required');
    expect(noIds.body.error.details.map((d: { path: string }) => d.path)).toEqual(['data[1].id', 'data[2].id', 'data[3].id']);
    const noUpstreamId = await api.post('/v1/mutations/run', { ...base, kind: 'delete', data: undefined, records: [{ upstream_id: 'cus_1' }, { data: {} }] });
    expect(noUpstreamId.body.error).toMatchObject({ code: 'upstream_id_required', details: [{ path: 'records[1].upstream_id' }] });
    expect(writesSeen()).toBe(writes);
  });

  // Last of this sync: the runner also meets the 401 and puts the sync in error.
  it('fails items with upstream_auth_failed when Stripe rejects the key, sending no more after the first refusal', async () => {
    const key = emulator.apiKey;
    emulator.setApiKey('sk_test_rotated_somewhere_else');
    try {
      const since = nowMs();
      const answer = await api.post('/v1/mutations/run', createCustomers(['auth-1@example.com', 'auth-2@example.com', 'auth-3@example.com']));
      expect(answer.status).toBe(200);
      const refused = { ok: false, error: { code: 'upstream_auth_failed', message: expect.stringContaining('Invalid API Key'), upstream_status: 401 } };
      expect(answer.body.data).toEqual([refused, refused, refused]);
      expect(answer.body.data[0].error.message).not.toContain(key);
      expect(emulator.requestLog.filter((e) => e.method === 'POST' && e.startedAt >= since)).toHaveLength(1);
    } finally {
      emulator.setApiKey(key);
    }
  });
});

describe('Mutations share the sync rate limit with its runner', () => {
  const LIMIT = { allowed_requests: 4, interval: 1, max_concurrent_requests: 1 };
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 3 }, randomSeed: 9 });
    // This file's syncs poll faster than the default minimum (1000 ms) to keep it quick.
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('never lets runner and mutations together exceed allowed_requests in any interval', async () => {
    // Polling every 100 ms wants 10 requests a second: the runner alone keeps the limit busy.
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], rateLimit: LIMIT, pollIntervalMs: 100 });
    await waitForBackfill(api, sync.id, 30_000);
    const started = nowMs();
    const answer = await api.post('/v1/mutations/run', {
      kind: 'create',
      sync_id: sync.id,
      collection_id: 'stripe:customer',
      data: Array.from({ length: 6 }, (_, i) => ({ email: `limited-${i}@example.com` })),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.data.every((i: { ok: boolean }) => i.ok)).toBe(true);
    const seen = emulator.requestLog.filter((e) => e.startedAt >= started);
    expect(seen.filter((e) => e.method === 'POST')).toHaveLength(6);
    expect(seen.length).toBeGreaterThan(6); // the runner kept polling meanwhile
    // The upstream saw at most `allowed_requests` in any one-second window.
    const arrivals = seen.map((e) => e.startedAt).sort((a, b) => a - b);
    for (let i = 0; i + LIMIT.allowed_requests < arrivals.length; i++) {
      expect(arrivals[i + LIMIT.allowed_requests]! - arrivals[i]!).toBeGreaterThanOrEqual(LIMIT.interval * 1000 - 5);
    }
  });
});
