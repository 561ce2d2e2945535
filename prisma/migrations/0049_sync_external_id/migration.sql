-- Issue 23: a sync may carry the caller's own id for it (`external_id`, e.g. its tenant's id), so
-- that an application serving many tenants finds a tenant's sync without keeping a mapping.
-- Unique per account: the index is the final word when two creates race (the syncs projection
-- turns its violation into 409 `external_id_taken`); syncs without one are not indexed.
ALTER TABLE syncs ADD COLUMN external_id text;
CREATE UNIQUE INDEX syncs_account_external_id_key ON syncs (account_id, external_id) WHERE external_id IS NOT NULL;
