import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { allRecords } from '../support/records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, differencesFromUpstream, recordsOf, syncStatus, waitForBackfill, waitForUpstreamMatch } from '../support/stripe-sync.ts';
import { maxConcurrent, maxInAnyWindow } from '../support/request-log-windows.ts';
import { waitFor } from '../support/wait.ts';

describe('Stripe sync: backfill, then changes and deletes from the events feed', () => {
  const POLL_INTERVAL_MS = 2000;
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let syncId: string;

  beforeAll(async () => {
    emulator = await startStripeEmulator({
      seed: { customer: 5000, product: 200, price: 200, subscription: 200, invoice: 200, charge: 200 },
      randomSeed: 42,
    });
    server = await startTestServer();
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('backfills every object of every collection exactly as Stripe returns it', async () => {
    ({
      sync: { id: syncId },
    } = await createStripeSync(api, emulator, { pollIntervalMs: POLL_INTERVAL_MS }));
    const status = await waitForBackfill(api, syncId, 120_000);
    expect(status.state).toBe('active');
    const customers = status.collections.find((c: { collection_id: string }) => c.collection_id === 'stripe:customer');
    expect(customers.backfill).toMatchObject({ done: true, pages: 50, records: 5000, percent: 100 });
    expect(await differencesFromUpstream(api, syncId, emulator)).toEqual([]);
    // Status shows the request accounting once the runner flushed it.
    const accounted = await waitFor(async () => {
      const s = await syncStatus(api, syncId);
      return s.requests_made >= 50 + 5 * 2 ? s : null;
    }, 10_000, 'request accounting');
    expect(accounted.last_error).toBeNull();
  }, 180_000);

  it('applies random creates, updates and deletes within two poll intervals, deletes as tombstones', async () => {
    const before = await allRecords(api, syncId);
    const lastIdx = Math.max(...before.map((r) => r.updated_idx));
    const started = Date.now();
    const done = emulator.mutateRandomly(60);
    const touched = new Set([...done.created, ...done.updated, ...done.deleted]);
    expect(touched.size).toBeGreaterThan(0);

    const seen = await waitFor(
      async () => {
        const fresh = await newRecordsSince(api, syncId, lastIdx);
        return [...touched].every((id) => fresh.has(id)) ? fresh : null;
      },
      2 * POLL_INTERVAL_MS + 5_000,
      'every mutated object to reach the records',
    );
    const elapsed = Date.now() - started;
    // Two poll intervals plus the time this test takes to read the records back.
    expect(elapsed).toBeLessThan(2 * POLL_INTERVAL_MS + 1_500);

    expect(await differencesFromUpstream(api, syncId, emulator)).toEqual([]);
    for (const collection of ['customer', 'product', 'invoice'] as const) {
      const { deleted } = await recordsOf(api, syncId, collection);
      const upstreamIds = new Set(emulator.objects(collection).map((o) => o.id as string));
      for (const id of done.deleted.filter((d) => !upstreamIds.has(d) && seen.get(d)?.collection_id === `stripe:${collection}`)) {
        expect(deleted.has(id)).toBe(true);
      }
    }
    const tombstones = [...seen.values()].filter((r) => r.deleted);
    expect(tombstones.length).toBeGreaterThan(0);
    for (const tombstone of tombstones) expect(tombstone.data.id).toBe(tombstone.upstream_id);
  }, 60_000);

  it('produces no record change when nothing changed upstream', async () => {
    const before = await allRecords(api, syncId);
    await new Promise((r) => setTimeout(r, 2 * POLL_INTERVAL_MS + 500));
    const after = await allRecords(api, syncId);
    expect(Math.max(...after.map((r) => r.updated_idx))).toBe(Math.max(...before.map((r) => r.updated_idx)));
  }, 30_000);
});

describe('Stripe sync: rate limits, upstream faults and rejected credentials', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;

  beforeAll(async () => {
    emulator = await startStripeEmulator({
      seed: { customer: 1500, product: 60, price: 60, subscription: 60, invoice: 60, charge: 60 },
      randomSeed: 7,
    });
    // This file's syncs poll faster than the default minimum (1000 ms) to keep it quick.
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('never exceeds 10 requests per second nor 2 in flight, and converges through random 429s and 500s', async () => {
    emulator.clearRequestLog();
    const { sync } = await createStripeSync(api, emulator, {
      rateLimit: { allowed_requests: 10, interval: 1, max_concurrent_requests: 2 },
      pollIntervalMs: 500,
    });
    await waitForBackfill(api, sync.id, 60_000);
    await waitForUpstreamMatch(api, sync.id, emulator, 10_000);

    emulator.setFaults({ rate429: 0.2, rate500: 0.2 });
    emulator.mutateRandomly(40);
    await waitForUpstreamMatch(api, sync.id, emulator, 60_000);
    emulator.setFaults({});

    const log = emulator.requestLog;
    expect(log.length).toBeGreaterThan(40);
    expect(log.some((entry) => entry.status === 429)).toBe(true);
    expect(log.some((entry) => entry.status === 500)).toBe(true);
    expect(maxInAnyWindow(log.map((e) => e.startedAt), 1000)).toBeLessThanOrEqual(10);
    expect(maxConcurrent(log)).toBeLessThanOrEqual(2);

    // The runner flushes its counters every 2 s: wait for them to cover the log read above.
    const seen = log.length;
    const status = await waitFor(async () => {
      const s = await syncStatus(api, sync.id);
      return s.retries > 0 && s.rate_limit_wait_ms > 0 && s.requests_made >= seen ? s : null;
    }, 10_000, 'retries, rate-limit waits and every request in the status');
    expect(status.requests_made).toBeGreaterThanOrEqual(seen);
  }, 120_000);

  it('puts the sync in error when Stripe rejects the key, and resumes once the credential is replaced', async () => {
    const { sync, credentialId } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 300 });
    await waitForBackfill(api, sync.id, 60_000);

    emulator.setApiKey('sk_test_rotated_key');
    const failed = await waitFor(async () => {
      const s = await syncStatus(api, sync.id);
      return s.state === 'error' ? s : null;
    }, 15_000, 'the sync to enter error');
    expect(failed.last_error.code).toBe('upstream_auth_failed');
    expect(failed.last_error.message).toMatch(/Stripe rejected the credential \(HTTP 401\)/);
    expect(failed.last_error.message).not.toContain('sk_test_rotated_key');

    const patched = await api.patch(`/v1/credentials/${credentialId}`, { secret: 'sk_test_rotated_key' });
    expect(patched.status).toBe(200);
    const recovered = await waitFor(async () => {
      const s = await syncStatus(api, sync.id);
      return s.state === 'active' && s.last_error === null ? s : null;
    }, 15_000, 'the sync to recover');
    expect(recovered.collections[0].backfill.done).toBe(true);
    emulator.mutateRandomly(10, ['customer']);
    await waitForUpstreamMatch(api, sync.id, emulator, 15_000, ['customer']);
  }, 120_000);
});

/** Records changed after `idx`, latest version per upstream id. */
async function newRecordsSince(api: RestClient, syncId: string, idx: number) {
  const answer = await api.get(`/v1/syncs/${syncId}/records?after_idx=${idx}&limit=1000`);
  expect(answer.status).toBe(200);
  const records = answer.body.data as Awaited<ReturnType<typeof allRecords>>;
  return new Map(records.map((r) => [r.upstream_id, r]));
}

describe('Stripe sync: resync after deletes the events feed no longer shows', () => {
  let server: TestServer;
  let emulator: StripeEmulator;
  let api: RestClient;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 300 }, randomSeed: 13 });
    // This file's syncs poll faster than the default minimum (1000 ms) to keep it quick.
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
  });
  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('tombstones the records of objects deleted while the sync was paused', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 300 });
    await waitForBackfill(api, sync.id, 60_000);
    expect((await api.post(`/v1/syncs/${sync.id}/pause`)).status).toBe(200);
    const victims = emulator.objects('customer').slice(0, 3).map((c) => c.id as string);
    for (const id of victims) {
      const answer = await fetch(`${emulator.url}/v1/customers/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulator.apiKey}` } });
      expect(answer.status).toBe(200);
    }
    // A resync starts from a new changes cursor, after the deletes: only the backfill can see them.
    expect((await api.post(`/v1/syncs/${sync.id}/resync`)).status).toBe(200);
    expect((await api.post(`/v1/syncs/${sync.id}/resume`)).status).toBe(200);
    await waitForUpstreamMatch(api, sync.id, emulator, 30_000, ['customer']);
    const { deleted } = await recordsOf(api, sync.id, 'customer');
    for (const id of victims) expect(deleted.has(id)).toBe(true);
  }, 90_000);
});
