/**
 * How long `/metrics` takes with many syncs and consumers (docs/OPERATIONS.md quotes the figures):
 * `npx tsx bench/metrics-scrape.ts [syncs] [http consumers]`. The syncs, their collections and
 * run counters and the HTTP consumers are written straight into their read models (no runner
 * starts: the server runs no syncs), then `/metrics` is scraped with the figures per sync and
 * added up (SYNCLINE_METRICS_PER_SYNC=false) over the same database.
 */
import { restClient } from '../test/support/api.ts';
import { ROOT_TOKEN, startTestServer } from '../test/support/server.ts';
import { latencySummary } from './support/stats.ts';

const SYNCS = Number(process.argv[2] ?? 10_000);
const HTTP_CONSUMERS = Number(process.argv[3] ?? 1_000);
const SCRAPES = 20;

async function main() {
  const server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
  try {
    const api = restClient(server.url, ROOT_TOKEN);
    const stream = (await api.post('/v1/streams', { name: 'metrics-bench' })).body.id as string;
    const credential = (await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_metrics_bench_0123456789' })).body.id as string;
    const { pool } = server.app.ctx;
    const account = (await pool.query<{ account_id: string }>(`SELECT account_id FROM streams WHERE id = $1`, [stream])).rows[0]!.account_id;
    // One in 50 syncs in error, one in 20 paused, one in 10 still backfilling its second collection.
    await pool.query(
      `WITH s AS (
         INSERT INTO syncs (id, account_id, stream_id, provider, name, collection_ids, rate_limit, credential_id, metadata, poll_interval_ms, paused, last_error, created_at, updated_at)
         SELECT gen_random_uuid(), $1, $2, 'stripe', 'bench ' || n, ARRAY['stripe:customer', 'stripe:invoice'],
                '{"allowedRequests": 25, "intervalSeconds": 1, "maxConcurrentRequests": 4}', $3, '{}', 60000, n % 20 = 0,
                CASE WHEN n % 50 = 1 THEN jsonb_build_object('code', 'upstream_error', 'message', 'bench', 'collectionId', NULL, 'at', now()) END, now(), now()
         FROM generate_series(1, $4::int) n RETURNING id, name),
       c AS (
         INSERT INTO sync_collections (sync_id, collection_id, backfill_done, backfill_pages, backfill_records, total_count, changes_fetched)
         SELECT s.id, col, NOT (col = 'stripe:invoice' AND split_part(s.name, ' ', 2)::int % 10 = 3), 10, 1000, 1000, 42
         FROM s CROSS JOIN unnest(ARRAY['stripe:customer', 'stripe:invoice']) col RETURNING sync_id, collection_id),
       r AS (INSERT INTO sync_runtime (sync_id, requests_made, rate_limit_wait_ms, retries, last_poll_at, updated_at) SELECT id, 1234, 5678, 3, now(), now() FROM s)
       INSERT INTO sync_collection_runtime (sync_id, collection_id, requests_made, delete_detection_requests, updated_at) SELECT sync_id, collection_id, 617, 10, now() FROM c`,
      [account, stream, credential, SYNCS],
    );
    await pool.query(
      `INSERT INTO http_consumers (id, account_id, stream_id, sync_id, collection_ids, name, deliver_policy, ack_wait_ms, max_deliver, max_ack_pending, created_at, updated_at)
       SELECT gen_random_uuid(), $1, $2, s.id, '{}', 'bench ' || s.name, 'all', 60000, -1, 1000, now(), now()
       FROM (SELECT id, name FROM syncs ORDER BY id LIMIT $3) s`,
      [account, stream, HTTP_CONSUMERS],
    );
    await pool.query('ANALYZE');

    const perSync = await measure(server.url);
    const aggregate = await startTestServer({ LOG_LEVEL: 'warn', DATABASE_URL: server.database.url, SYNCLINE_METRICS_PER_SYNC: 'false' }, { disableSyncs: true });
    const summed = await measure(aggregate.url).finally(() => aggregate.app.close());
    console.log(`/metrics with ${SYNCS} syncs (2 collections each) and ${HTTP_CONSUMERS} HTTP consumers, ${SCRAPES} scrapes each:`);
    console.log(`  per sync:  p50 ${perSync.p50.toFixed(0)} ms, p99 ${perSync.p99.toFixed(0)} ms, ${(perSync.bytes / 1e6).toFixed(1)} MB, ${perSync.series} series; the figures' read p50 ${perSync.read.toFixed(0)} ms`);
    console.log(`  added up:  p50 ${summed.p50.toFixed(0)} ms, p99 ${summed.p99.toFixed(0)} ms, ${(summed.bytes / 1e6).toFixed(3)} MB, ${summed.series} series; the figures' read p50 ${summed.read.toFixed(0)} ms`);
  } finally {
    await server.stop();
  }
}

async function measure(url: string) {
  const samples: number[] = [];
  let bytes = 0;
  let series = 0;
  const reads: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    const started = performance.now();
    const text = await (await fetch(`${url}/metrics`)).text();
    samples.push(performance.now() - started);
    bytes = text.length;
    series = text.split('\n').filter((line) => line.startsWith('syncline_')).length;
    reads.push(1000 * Number(/^syncline_status_figures_read_seconds (\S+)$/m.exec(text)?.[1]));
  }
  return { ...latencySummary(samples), bytes, series, read: latencySummary(reads).p50 };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
