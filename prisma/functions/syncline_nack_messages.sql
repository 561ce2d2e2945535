-- Nacks, by token (src/consumers/delivery.ts): the batches named are turned into per-message leases
-- first (syncline_explode_lease_batches; the other messages keep their tokens and deadline), then
-- the leases of the tokens are due after p_delay_ms. Returns the messages nacked.
CREATE OR REPLACE FUNCTION syncline_nack_messages(p_consumer_id uuid, p_tokens uuid[], p_batch_ids bigint[], p_delay_ms integer)
RETURNS TABLE (sync_id uuid, collection_id text, upstream_id text, ack_token uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(p_batch_ids) b WHERE b IS NOT NULL) THEN
    PERFORM syncline_explode_lease_batches(p_consumer_id, ARRAY(SELECT DISTINCT b FROM unnest(p_batch_ids) b WHERE b IS NOT NULL));
  END IF;
  RETURN QUERY
  UPDATE consumer_leases l SET deadline = now() + make_interval(secs => p_delay_ms::double precision / 1000)
  FROM unnest(p_tokens) AS t(token)
  WHERE l.ack_token = t.token AND l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline > now()
  RETURNING l.sync_id, l.collection_id, l.upstream_id, l.ack_token;
END;
$$;
