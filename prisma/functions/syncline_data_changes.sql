-- The `changes` of an "updated" change event (docs/DELIVERY.md, "Change events"; migration 0059): the
-- previous values of the top-level fields of p_new that differ from p_old, a field one of them lacks
-- counting as null there. Written with each version by syncline_project_records.
CREATE OR REPLACE FUNCTION syncline_data_changes(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT COALESCE(jsonb_object_agg(k.key, p_old->k.key), '{}'::jsonb)
  FROM (SELECT jsonb_object_keys(p_old) AS key UNION SELECT jsonb_object_keys(p_new)) k
  WHERE (p_old->k.key) IS DISTINCT FROM (p_new->k.key)
$$;
