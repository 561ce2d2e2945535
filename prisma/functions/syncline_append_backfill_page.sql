-- One backfill page in one statement (migration 0022's entry point): syncline_append_backfill_pages
-- with one page. The server calls syncline_append_backfill_pages; this form is kept for a server of
-- a release before migration 0023 running beside a newer one on the same database.
CREATE OR REPLACE FUNCTION syncline_append_backfill_page(
  p_lock_key text, p_lz4 boolean, p_lease_owner text, p_lease_token bigint, p_event jsonb, p_seen boolean, p_checkpoint jsonb
) RETURNS TABLE (changed integer, max_idx bigint)
LANGUAGE sql AS $$
  SELECT * FROM syncline_append_backfill_pages(p_lock_key, p_lz4, p_lease_owner, p_lease_token,
    jsonb_build_array(p_event), p_seen, jsonb_build_array(p_checkpoint));
$$;
