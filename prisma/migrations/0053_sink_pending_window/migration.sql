-- Issue 23: a webhook receiver drops duplicates by `webhook-id`, so a batch sent again after a
-- crash must be the very batch sent before it: same records, same versions, same id. The records
-- table keeps only each record's latest version, so a record changed while the server was down
-- would make the re-read window differ (and its id with it). Kinds that need it (webhooks) keep
-- the window in progress here before its first attempt; a restart sends it again as it was.
-- Cleared when the window is done, and by a reset.
ALTER TABLE sink_runtime ADD COLUMN pending_window jsonb;
