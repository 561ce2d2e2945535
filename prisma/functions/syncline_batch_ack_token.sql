-- The ack token of a lease batch's message (0-based index), a UUID of version 8:
-- bbbbbbbb-bbbb-8iii-nnnn-nnnnnnnnnnnn, b the batch id (48 bits), i the index (12 bits), n the
-- batch's nonce with the RFC 9562 variant bits. src/consumers/ack-tokens.ts writes and reads the same
-- format; a batch turned into per-message leases keeps these tokens. Used by the view
-- consumer_lease_entries, so its signature cannot change without that view.
CREATE OR REPLACE FUNCTION syncline_batch_ack_token(p_batch_id bigint, p_index integer, p_nonce bigint)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT (lpad(to_hex(p_batch_id), 12, '0') || '8' || lpad(to_hex(p_index), 3, '0') || to_hex(p_nonce | (-9223372036854775808)::bigint))::uuid
$$;
