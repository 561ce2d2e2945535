-- Issue 28 (event consumption through /next at least 0.8× record consumption): an ack of a change
-- events batch looked for each record's next version every time (syncline_lease_newer_versions).
-- A record has a next version at or behind the cursor only when a scan passed over one: later in
-- the same scan (the batch is marked when it is read) or in a later scan while the batch held the
-- record (syncline_next_events marks the batch then). Versions past the cursor need no lease: the
-- cursor delivers them once the record's lease is acked. Unmarked batches skip the lookup.
ALTER TABLE consumer_lease_batches ADD COLUMN passed_over boolean NOT NULL DEFAULT false;
