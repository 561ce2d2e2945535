-- ANALYZE of records samples 3,000 rows instead of 30,000 (BENCHMARKS.md, ingest). The server
-- refreshes the statistics of records during a backfill (src/db/table-statistics.ts), 3 times
-- per 100,000 records, and each took ~0.2 s of PostgreSQL's CPU (~10 % of a backfill's) to
-- sample 300 × the largest statistics target. The plans on records need orders of magnitude:
-- how many records a stream or a sync has and where a cursor falls in updated_idx, which a
-- 10-bucket histogram and the few streams' and syncs' ids tell as well as a 100-bucket one.
ALTER TABLE records
  ALTER COLUMN sync_id SET STATISTICS 10,
  ALTER COLUMN collection_id SET STATISTICS 10,
  ALTER COLUMN upstream_id SET STATISTICS 10,
  ALTER COLUMN stream_id SET STATISTICS 10,
  ALTER COLUMN updated_idx SET STATISTICS 10,
  ALTER COLUMN first_idx SET STATISTICS 10,
  ALTER COLUMN data_hash SET STATISTICS 10,
  ALTER COLUMN deleted SET STATISTICS 10,
  ALTER COLUMN upstream_created_at SET STATISTICS 10,
  ALTER COLUMN upstream_updated_at SET STATISTICS 10;
