-- Issue 28 (change events for webhook consumers): a webhook consumer of change events delivers every
-- version of a record, so each version that ran out of attempts is a dead letter of its own,
-- identified by its stream position (updated_idx): the key takes it in. A consumer of records keeps
-- one dead letter per record (its latest failed version), as before: deadLetterBatch replaces the
-- record's other row in the statement that writes the new one.
ALTER TABLE sink_dead_letters DROP CONSTRAINT sink_dead_letters_pkey;
ALTER TABLE sink_dead_letters ADD PRIMARY KEY (consumer_id, sync_id, collection_id, upstream_id, updated_idx);
DROP INDEX sink_dead_letters_newest_idx;
CREATE INDEX sink_dead_letters_newest_idx ON sink_dead_letters(consumer_id, dead_at DESC, sync_id DESC, collection_id DESC, upstream_id DESC, updated_idx DESC);
