-- Issue 23 (webhook throughput): a kept plan (sink_plans.records, ~400 KB of JSON a 1,000 records)
-- is compressed with lz4 instead of pglz: written once, read back only after a restart, and pglz's
-- compression was about a fifth of the plan read's cost in PostgreSQL. Values kept before stay
-- pglz (both read the same). A server built without lz4 keeps pglz.
DO $$
BEGIN
  ALTER TABLE sink_plans ALTER COLUMN records SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available: sink_plans.records stays pglz';
END $$;
