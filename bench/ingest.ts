import pg from 'pg';
import { restClient, type RestClient } from '../test/support/api.ts';
import type { ChildServer } from '../test/support/child-server.ts';
import { createBenchSync, waitForBackfillDone } from './support/bench-sync.ts';
import { BENCH_TOKEN, peakRssMb, startEmulator } from './support/processes.ts';

export interface IngestResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  baselineRecordsPerSecond: number;
  peakRssMb: number;
  syncId: string;
}

/**
 * Stripe emulator with `size` customers → a sync → every one in the records read model.
 * Baseline: the same rows upserted into a plain table with batched `INSERT … ON CONFLICT`
 * (batches of 100, Stripe's page size), through `pg`, on the same PostgreSQL.
 */
export async function benchIngest(server: ChildServer, databaseUrl: string, size: number): Promise<IngestResult> {
  const emulator = await startEmulator(size);
  const api = restClient(server.url, BENCH_TOKEN);
  try {
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url });
    const started = performance.now();
    const sync = await createBenchSync(api, credential.body.id, 'bench');
    let peak = 0;
    await waitForBackfillDone(databaseUrl, sync.id, 50, async () => {
      peak = Math.max(peak, await peakRssMb(server.child.pid!));
    });
    const seconds = (performance.now() - started) / 1000;
    const records = await liveRecords(api, sync.id);
    if (records < size) throw new Error(`backfill done with ${records} of ${size} records in the read model`);
    const baseline = await baselineUpserts(databaseUrl, sync.id);
    return { records: size, seconds, recordsPerSecond: size / seconds, baselineRecordsPerSecond: baseline, peakRssMb: peak, syncId: sync.id };
  } finally {
    await emulator.stop();
  }
}

async function liveRecords(api: RestClient, syncId: string): Promise<number> {
  const status = await api.get(`/v1/syncs/${syncId}/status`);
  return status.body.collections?.[0]?.records ?? 0;
}

async function baselineUpserts(databaseUrl: string, syncId: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ upstream_id: string; data: string }>('SELECT upstream_id, data::text AS data FROM records WHERE sync_id = $1 ORDER BY updated_idx', [syncId]);
    await client.query('CREATE TABLE bench_baseline_upserts (id text PRIMARY KEY, data jsonb NOT NULL, updated_at timestamptz NOT NULL)');
    const started = performance.now();
    for (let i = 0; i < rows.length; i += 100) {
      const batch = rows.slice(i, i + 100);
      await client.query(
        `INSERT INTO bench_baseline_upserts (id, data, updated_at)
         SELECT id, data::jsonb, now() FROM unnest($1::text[], $2::text[]) AS v(id, data)
         ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`,
        [batch.map((r) => r.upstream_id), batch.map((r) => r.data)],
      );
    }
    const seconds = (performance.now() - started) / 1000;
    await client.query('DROP TABLE bench_baseline_upserts');
    return rows.length / seconds;
  } finally {
    await client.end();
  }
}
