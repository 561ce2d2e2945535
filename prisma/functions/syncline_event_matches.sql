-- Whether a version's change event passes a consumer's event filters (migration 0059): `actions`
-- (NULL: all), and `changed_fields` (NULL: all), which only narrows updates: an update passes when
-- it changed one of the fields; inserts and deletes pass it.
CREATE OR REPLACE FUNCTION syncline_event_matches(p_action text, p_changes jsonb, p_actions text[], p_changed_fields text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT (p_actions IS NULL OR p_action = ANY(p_actions))
     AND (p_changed_fields IS NULL OR p_action <> 'updated' OR p_changes ?| p_changed_fields)
$$;
