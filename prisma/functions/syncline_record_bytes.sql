-- A record's bytes in an answer, told without building its JSON (DELIVERY.md, "Byte budget";
-- migration 0043): the stored value's size uncompressed, plus its envelope (keys, ids, position,
-- dates). A value stored inline or uncompressed answers its size from its header; only a compressed
-- one is decompressed (PostgreSQL has no function that reads the raw size a compressed value's header
-- holds): `jsonb || '{}'` hands back the detoasted value as it is. jsonb is about the size of its
-- compact JSON text for strings and objects; values made mostly of short numbers, booleans or escaped
-- control characters print larger. Used by /next (syncline_next_messages) and the record pages
-- (src/queries/record-pages.ts).
CREATE OR REPLACE FUNCTION syncline_record_bytes(p_data jsonb, p_upstream_id text)
RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN pg_column_compression(p_data) IS NULL THEN pg_column_size(p_data) ELSE pg_column_size(p_data || '{}'::jsonb) END::bigint
    + octet_length(p_upstream_id) + 400
$$;
