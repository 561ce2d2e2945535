-- ANALYZE skips records.data (BENCHMARKS.md, ingest). No query filters or sorts
-- on a record's data, so its statistics served no plan, and computing them (every sampled
-- record's jsonb read and compared) was half of each ANALYZE: the server refreshes the
-- statistics of records during a backfill (src/db/table-statistics.ts), 3 times per 100,000
-- records at ~0.34 s of PostgreSQL each.
ALTER TABLE records ALTER COLUMN data SET STATISTICS 0;
