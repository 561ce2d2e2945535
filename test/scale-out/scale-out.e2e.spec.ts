/**
 * Several Syncline instances (real child processes) on one PostgreSQL database (docs/DEPLOY.md):
 * sync takeover after a SIGKILL with the rate limit held across instances, an HTTP consumer
 * drained through every instance, and a live subscription on one instance fed by another.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { maxConcurrent, maxInAnyWindow } from '../support/request-log-windows.ts';
import { ROOT_TOKEN } from '../support/server.ts';
import { createStripeSync, differencesFromUpstream, waitForUpstreamMatch } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { Cluster, type Instance } from './cluster.ts';

const CUSTOMERS = 2500;
/** Short enough that the new owner starts while the dead one's requests are still in the window. */
const LEASE_TTL_MS = 3000;
const RATE_LIMIT = { allowed_requests: 12, interval: 6, max_concurrent_requests: 2 };

describe('scale-out: three instances on one PostgreSQL', () => {
  let emulator: StripeEmulator;
  let database: TestDatabase;
  let cluster: Cluster;
  let syncId: string;
  let streamId: string;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: CUSTOMERS } });
    database = await createTestDatabase();
    cluster = await Cluster.start(database.url, 3, { SYNCLINE_LEASE_TTL_MS: String(LEASE_TTL_MS) });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await emulator?.close();
    await database?.drop();
  });

  const api = (instance: Instance) => restClient(instance.server.url, ROOT_TOKEN);
  const leaseAcquisitions = (output: string) => output.split('\n').filter((line) => line.includes('sync lease acquired') && line.includes(syncId)).length;

  it('SIGKILL of the instance running a backfill: another takes over, nothing is lost, the rate limit holds across instances', async () => {
    const { sync } = await createStripeSync(api(cluster.instances[0]!), emulator, { collections: ['customer'], rateLimit: RATE_LIMIT, pollIntervalMs: 1000 });
    syncId = sync.id;
    streamId = sync.stream_id;
    const first = await waitFor(() => cluster.leaseOf(syncId), 20_000, 'an instance to take the sync');
    const owner = cluster.instances.find((i) => i.id === first.owner)!;
    const others = cluster.instances.filter((i) => i !== owner);

    // Mutations made through another instance take their slots from the same (shared) limit.
    const created: string[] = [];
    const mutations = (async () => {
      for (let i = 0; i < 4; i++) {
        const answer = await api(others[i % 2]!).post('/v1/mutations/run', {
          kind: 'create',
          sync_id: syncId,
          collection_id: 'stripe:customer',
          data: [{ email: `scale-${i}@example.com`, name: `Scale ${i}` }],
        });
        expect(answer.status).toBe(200);
        expect(answer.body.data[0].ok).toBe(true);
        created.push(answer.body.data[0].record.upstream_id);
      }
    })();

    // Mid-backfill: a few pages in.
    await waitFor(async () => emulator.requestLog.filter((e) => e.path === '/v1/customers' && e.method === 'GET').length >= 6, 30_000, 'backfill pages');
    const killedAt = Date.now();
    await cluster.kill(owner);
    const pagesBeforeKill = emulator.requestLog.filter((e) => e.path === '/v1/customers' && e.method === 'GET').length;
    expect(pagesBeforeKill).toBeLessThan(CUSTOMERS / 100);

    const next = await waitFor(async () => {
      const lease = await cluster.leaseOf(syncId);
      return lease && lease.owner !== owner.id ? lease : null;
    }, 30_000, 'another instance to take the sync over');
    const takeoverMs = Date.now() - killedAt;
    expect(next.token).toBeGreaterThan(first.token);
    console.log(`[scale-out] takeover after SIGKILL: ${takeoverMs} ms (lease TTL ${LEASE_TTL_MS} ms)`);

    await mutations;
    const survivor = cluster.instances[0]!;
    await waitForUpstreamMatch(api(survivor), syncId, emulator, 90_000, ['customer']);
    expect(await differencesFromUpstream(api(survivor), syncId, emulator, ['customer'])).toEqual([]);
    expect(emulator.objects('customer').length).toBe(CUSTOMERS + created.length);

    // As the upstream saw it: never more than allowed_requests in any interval, nor more in flight.
    const log = emulator.requestLog.filter((e) => e.status !== 0 || e.endedAt > 0);
    expect(log.filter((e) => e.method === 'POST').length).toBe(created.length);
    expect(log.every((e) => e.status !== 429)).toBe(true);
    expect(maxInAnyWindow(log.map((e) => e.startedAt), RATE_LIMIT.interval * 1000)).toBeLessThanOrEqual(RATE_LIMIT.allowed_requests);
    expect(maxConcurrent(log)).toBeLessThanOrEqual(RATE_LIMIT.max_concurrent_requests);

    // One runner at a time: the lease was taken once by the first owner and once by its successor.
    const outputs = cluster.output() + owner.server.output();
    expect(leaseAcquisitions(outputs)).toBe(2);
    // The killed instance is replaced (same port: same instance id) for the next test.
    await cluster.add(owner.port);
  }, 150_000);

  it('4 workers over 3 instances drain a consumer: every record once, never two live leases; a subscriber on A sees what B ingests, in order', async () => {
    const [a, b, c] = cluster.instances as [Instance, Instance, Instance];
    const before = (await api(a).get(`/v1/syncs/${syncId}/records?limit=1`)).body;
    expect(before.data.length).toBe(1);

    // Live subscription on A from the current head.
    const head = (await cluster.query<{ last_idx: string }>('SELECT last_idx FROM stream_heads WHERE stream_id = $1', [streamId])).rows[0]!.last_idx;
    const token = ROOT_TOKEN;
    const ws = createClient({ url: `${a.server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
    const live: { upstreamId: string; updatedIdx: string }[] = [];
    let subscribed = false;
    const unsubscribe = ws.subscribe(
      { query: 'subscription($s: ID!, $a: String) { recordChanged(streamId: $s, afterIdx: $a) { upstreamId updatedIdx } }', variables: { s: streamId, a: head } },
      { next: (value: any) => live.push(value.data.recordChanged), error: (e) => console.error(e), complete: () => undefined },
    );
    ws.on('connected', () => (subscribed = true));
    await waitFor(async () => subscribed, 10_000, 'the subscription');

    const consumer = await api(c).post('/v1/http-consumers', { name: 'scale-out', stream_id: streamId });
    expect(consumer.status).toBe(201);
    const expected = (await api(c).get(`/v1/http-consumers/${consumer.body.id}`)).body.num_pending as number;
    expect(expected).toBe(CUSTOMERS + 4);

    // Changes ingested by B (mutations through B) while the consumer is drained.
    const ingested: string[] = [];
    const calls: string[][] = [];
    const ingest = (async () => {
      for (let i = 0; i < 5; i++) {
        const answer = await api(b).post('/v1/mutations/run', {
          kind: 'create',
          sync_id: syncId,
          collection_id: 'stripe:customer',
          data: [{ email: `live-${i}@example.com` }, { email: `live-${i}b@example.com` }],
        });
        expect(answer.status).toBe(200);
        const ids = answer.body.data.map((item: any) => item.record.upstream_id as string);
        calls.push(ids);
        ingested.push(...ids);
      }
    })();

    const deliveries: { key: string; token: string; worker: number }[] = [];
    const invalid: string[] = [];
    let acked = 0;
    await Promise.all(
      [a, b, c, a].map(async (instance, worker) => {
        const client = api(instance);
        for (let idle = 0; idle < 3; ) {
          const next = await client.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 25, wait_for: 300 });
          expect(next.status).toBe(200);
          const batch = next.body as { ack_token: string; record: { upstream_id: string; updated_idx: number } }[];
          if (batch.length === 0) {
            if (acked >= expected + 10) idle++;
            continue;
          }
          for (const m of batch) deliveries.push({ key: `${m.record.upstream_id}@${m.record.updated_idx}`, token: m.ack_token, worker });
          const ack = await client.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: batch.map((m) => m.ack_token) });
          expect(ack.status).toBe(200);
          acked += ack.body.acked;
          invalid.push(...ack.body.invalid_ack_tokens);
        }
      }),
    );
    await ingest;

    // Every record delivered once (no redelivery: no lease expired, none leased twice), every ack valid.
    expect(invalid).toEqual([]);
    expect(new Set(deliveries.map((d) => d.key)).size).toBe(deliveries.length);
    expect(new Set(deliveries.map((d) => d.key.split('@')[0])).size).toBe(CUSTOMERS + 4 + ingested.length);
    expect(new Set(deliveries.map((d) => d.token)).size).toBe(deliveries.length);
    expect(new Set(deliveries.map((d) => d.worker)).size).toBe(4);
    const state = (await api(b).get(`/v1/http-consumers/${consumer.body.id}`)).body;
    expect(state).toMatchObject({ num_pending: 0, num_ack_pending: 0 });

    // The subscriber on A saw B's changes, in position order.
    await waitFor(async () => ingested.every((id) => live.some((r) => r.upstreamId === id)), 20_000, 'B’s changes on A’s subscription');
    const positions = live.map((r) => BigInt(r.updatedIdx));
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
    // B's calls were made one after the other: each one's records come after the previous one's.
    const firstSeen = (id: string) => live.findIndex((r) => r.upstreamId === id);
    for (let i = 1; i < calls.length; i++) expect(Math.min(...calls[i]!.map(firstSeen))).toBeGreaterThan(Math.max(...calls[i - 1]!.map(firstSeen)));
    unsubscribe();
    await ws.dispose();
    const historyLost = cluster.output().split('\n').filter((line) => line.includes('could not record delivery history')).length;
    expect(historyLost, 'delivery-history appends refused across instances').toBe(0);
  }, 120_000);
});
