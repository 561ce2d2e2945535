-- Turns lease batches back into one lease per message (consumer_leases), with the batch's tokens
-- (syncline_batch_ack_token), deadline and a deliver count of 1: the batches named, or (NULL) those
-- whose deadline passed. Everything that is not "delivered once, acked in full" goes through here
-- (DELIVERY.md, "Lease batches", migration 0032): an expired batch (the next /next), a partial ack,
-- a nack, a record changed before the answer (syncline_delivered_messages).
CREATE OR REPLACE FUNCTION syncline_explode_lease_batches(p_consumer_id uuid, p_batch_ids bigint[])
RETURNS void LANGUAGE plpgsql
AS $$
BEGIN
  IF p_batch_ids IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM consumer_lease_batches b WHERE b.consumer_id = p_consumer_id AND b.deadline <= now()) THEN
      RETURN;
    END IF;
  ELSIF cardinality(p_batch_ids) = 0 THEN
    RETURN;
  END IF;
  WITH gone AS (
    DELETE FROM consumer_lease_batches b
    WHERE b.consumer_id = p_consumer_id
      AND CASE WHEN p_batch_ids IS NULL THEN b.deadline <= now() ELSE b.batch_id = ANY(p_batch_ids) END
    RETURNING b.*
  )
  INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
  SELECT b.consumer_id, k.sync_id, k.collection_id, k.upstream_id, k.updated_idx, syncline_batch_ack_token(b.batch_id, (k.n - 1)::integer, b.nonce), 1, b.deadline
  FROM gone b CROSS JOIN LATERAL unnest(b.sync_ids, b.collection_ids, b.upstream_ids, b.updated_idx) WITH ORDINALITY AS k(sync_id, collection_id, upstream_id, updated_idx, n);
END;
$$;
