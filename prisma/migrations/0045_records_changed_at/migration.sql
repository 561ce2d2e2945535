-- Issue 23: consumers start "by_start_time" and report lag in seconds, which needs to know when
-- each record version was written. `changed_at` is the time of the transaction that wrote the
-- record's current version (the ingest's now()); records written before this migration read the
-- migration's time. now() is stable, so this default is stored once, without rewriting the table.
-- syncline_project_records (prisma/functions/) sets it on every update.
ALTER TABLE records ADD COLUMN changed_at timestamptz(3) NOT NULL DEFAULT now();
