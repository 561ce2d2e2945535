-- A backfill page's comparison looks each record up by its primary key (sync, collection,
-- upstream id). Planned with the sync's id as a constant, a sync the statistics do not know yet
-- (one created after the last ANALYZE of records, while another sync's records filled them) is
-- estimated at one record, which makes records_sync_idx look cheaper than the primary key: each
-- lookup then read every record of the sync written so far. A second sync started after a
-- restart backfilled at 821 records/s instead of 11,000 (BENCHMARKS.md), slower with each page.
-- Generic plans never see the id: the sync's estimate is its share of all records, and the
-- primary key wins.
ALTER FUNCTION syncline_write_backfill_page(jsonb, boolean, jsonb) SET plan_cache_mode = force_generic_plan;
