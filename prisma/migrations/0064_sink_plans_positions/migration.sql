-- Issue 23 (webhook throughput): a kept plan holds its records' positions only. The texts it kept
-- (~400 KB a 1,000 records, compressed and written to the WAL by the statement that reads them)
-- made that statement twice as slow as the read alone, and reads set the delivery's pace. A
-- version's text is read again by position after a restart: `record_versions` (migration 0059)
-- keeps every version at its position for good, the same data as `records` had there. Plans kept
-- with their texts before this migration are sent from them.
ALTER TABLE sink_plans ALTER COLUMN records DROP NOT NULL;
