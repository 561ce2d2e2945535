import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restClient } from './support/api.ts';
import { startStripeEmulator } from '../src/emulators/stripe/index.ts';
import { randomPort, spawnServer, stopServer } from './support/child-server.ts';
import { createStripeSync, differencesFromUpstream, syncStatus, waitForBackfill } from './support/stripe-sync.ts';

/** `src/main.ts` as a real child process with no DATABASE_URL (embedded PGlite). */
const startServer = (dataDir: string, port: number) =>
  spawnServer({ SYNCLINE_DATA_DIR: dataDir, DATABASE_URL: undefined, SYNCLINE_API_TOKEN: undefined, SYNCLINE_SECRET_KEY: undefined }, port);

describe('embedded mode (no DATABASE_URL)', () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /healthz, prints a root token once, and keeps everything across restarts', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'syncline-embedded-'));
    const port = randomPort();
    const first = await startServer(dataDir, port);
    const token = /syn_[A-Za-z0-9_-]+/.exec(first.output())?.[0];
    expect(token).toBeDefined();
    const api = restClient(`http://127.0.0.1:${port}`, token!);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const stream = await api.post('/v1/streams', { name: 'dev' });
    expect(stream.status).toBe(201);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_embedded_secret' });
    expect(credential.status).toBe(201);
    expect(await stopServer(first.child)).toBe(0);

    const second = await startServer(dataDir, port);
    expect(second.output()).not.toContain(token!);
    expect((await api.get(`/v1/streams/${stream.body.id}`)).body).toEqual(stream.body);
    expect((await api.get(`/v1/credentials/${credential.body.id}`)).body).toEqual(credential.body);
    expect(await stopServer(second.child)).toBe(0);
  });

  it('backfills several collections at once, many pages each, without a failed step, and drains a consumer over them (every connection shares one PGlite session)', async () => {
    const emulator = await startStripeEmulator({ seed: { customer: 900, product: 250, price: 250, subscription: 250, invoice: 250, charge: 250 } });
    const backfillDir = await mkdtemp(path.join(tmpdir(), 'syncline-embedded-'));
    const port = randomPort();
    const server = await startServer(backfillDir, port);
    try {
      const token = /syn_[A-Za-z0-9_-]+/.exec(server.output())![0];
      const api = restClient(`http://127.0.0.1:${port}`, token);
      const { sync } = await createStripeSync(api, emulator, { pollIntervalMs: 60_000 });
      await waitForBackfill(api, sync.id, 120_000);
      expect(await differencesFromUpstream(api, sync.id, emulator)).toEqual([]);
      // Every pool connection shares PGlite's one session: a statement prepared under a name by one
      // connection makes the same name fail on the others ("prepared statement already exists").
      expect((await syncStatus(api, sync.id)).last_error).toBeNull();
      expect(server.output()).not.toContain('sync step failed');

      // The consume path in embedded mode (unnamed statements, the two-step /next): two workers
      // drain a consumer over every record, each delivered once, and a message's history shows it.
      const records = (await syncStatus(api, sync.id)).collections.reduce((n: number, c: { records: number }) => n + c.records, 0);
      const consumer = await api.post('/v1/http-consumers', { name: 'embedded', sync_id: sync.id });
      expect(consumer.status).toBe(201);
      const seen = new Map<string, number>();
      const worker = async () => {
        for (;;) {
          const batch = await api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 100 });
          expect(batch.status).toBe(200);
          if (batch.body.length === 0) return;
          for (const m of batch.body) seen.set(`${m.record.collection_id}/${m.record.upstream_id}`, (seen.get(`${m.record.collection_id}/${m.record.upstream_id}`) ?? 0) + 1);
          const acked = await api.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: batch.body.map((m: { ack_token: string }) => m.ack_token) });
          expect(acked.body).toEqual({ acked: batch.body.length, invalid_ack_tokens: [] });
        }
      };
      await Promise.all([worker(), worker()]);
      expect(seen.size).toBe(records);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      const [someKey] = seen.keys();
      const history = await api.get(`/v1/http-consumers/${consumer.body.id}/messages/${encodeURIComponent(someKey!.split('/')[1]!)}`);
      expect(history.body.history.map((h: { action: string }) => h.action)).toEqual(['delivered', 'acked']);
      expect((await api.get(`/v1/http-consumers/${consumer.body.id}`)).body).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
    } finally {
      await stopServer(server.child);
      await emulator.close();
      await rm(backfillDir, { recursive: true, force: true });
    }
  });
});
