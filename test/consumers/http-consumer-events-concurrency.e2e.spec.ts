import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

type EventMessage = { ack_token: string; record: { upstream_id: string; updated_idx: number } };

const RECORDS = 120;
const ROUNDS = 25;
const WORKERS = 3;

/**
 * Change events under concurrency (DELIVERY.md, "Change events"): records keep changing while
 * several workers drain a consumer of events in small batches. Every version arrives once, and a
 * record's versions in order: its next version is leased only once the previous one's ack is
 * answered. This is what an ack relies on when it skips the look for a record's next version
 * (no scan passed one over: migration 0063) — a scan that passes a version over while a batch holds
 * its record marks that batch, and an ack waits for a /next that may be marking it.
 */
describe('HTTP consumers of change events: records changing while several workers consume', () => {
  let server: TestServer;
  let api: RestClient;
  let target: { syncId: string; streamId: string; collectionId: string };

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    api = restClient(server.url, (await root.post('/v1/accounts', { name: 'events-concurrency' })).body.api_token.token);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_events_concurrency_01', name: 'stripe' });
    const sync = await api.post('/v1/syncs', { provider: 'stripe', name: 'stripe', collection_ids: ['stripe:customer'], credential_id: credential.body.id });
    expect(sync.status).toBe(201);
    target = { syncId: sync.body.id, streamId: sync.body.stream_id, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, Array.from({ length: RECORDS }, (_, i) => ({ id: `cus_${i}`, data: { id: `cus_${i}`, round: 0 } })));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('delivers every version once, each record’s in order, across workers and while writes go on', async () => {
    const created = await api.post('/v1/http-consumers', { name: 'events-under-writes', sync_id: target.syncId, message_kind: 'event' });
    expect(created.status).toBe(201);
    const consumerId = created.body.id as string;

    let writing = true;
    const writer = (async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        // A different fifth of the records each round, some of them twice in a row.
        const changed = Array.from({ length: RECORDS }, (_, i) => i).filter((i) => (i * 7 + round) % 5 === 0 || (i + round) % 11 === 0);
        await seedRecords(server.app.ctx, target, changed.map((i) => ({ id: `cus_${i}`, data: { id: `cus_${i}`, round } })));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      writing = false;
    })();

    let sequence = 0;
    const received: { upstreamId: string; idx: number; seq: number }[] = [];
    // One slow worker holds its batches a while: the others' scans pass over the newer versions of
    // the records it holds.
    const worker = async (batchSize: number, holdMs: number) => {
      let emptyAfterWrites = 0;
      while (emptyAfterWrites < 3) {
        const wasWriting = writing;
        const batch = await api.post(`/v1/http-consumers/${consumerId}/next`, { batch_size: batchSize });
        expect(batch.status).toBe(200);
        const messages = batch.body as EventMessage[];
        for (const m of messages) received.push({ upstreamId: m.record.upstream_id, idx: m.record.updated_idx, seq: sequence++ });
        if (messages.length === 0) {
          if (!wasWriting) emptyAfterWrites++;
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        emptyAfterWrites = 0;
        if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
        const acked = await api.post(`/v1/http-consumers/${consumerId}/ack`, { ack_tokens: messages.map((m) => m.ack_token) });
        expect(acked.body.invalid_ack_tokens).toEqual([]);
      }
    };
    await Promise.all([writer, ...Array.from({ length: WORKERS }, (_, w) => worker(3 + w * 4, w === 0 ? 40 : 0))]);

    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    const { rows } = await client.query<{ upstream_id: string; updated_idx: string }>(
      'SELECT upstream_id, updated_idx FROM record_versions WHERE stream_id = $1 ORDER BY updated_idx',
      [target.streamId],
    );
    await client.end();
    expect(rows.length).toBeGreaterThan(RECORDS * 3);

    const delivered = received.map((m) => m.idx).sort((a, b) => a - b);
    expect(delivered).toEqual(rows.map((r) => Number(r.updated_idx)));
    const byRecord = new Map<string, { idx: number; seq: number }[]>();
    for (const m of received) byRecord.set(m.upstreamId, [...(byRecord.get(m.upstreamId) ?? []), m]);
    for (const [upstreamId, versions] of byRecord) {
      const inArrivalOrder = [...versions].sort((a, b) => a.seq - b.seq).map((v) => v.idx);
      expect(inArrivalOrder, upstreamId).toEqual([...inArrivalOrder].sort((a, b) => a - b));
    }
  }, 120_000);
});
