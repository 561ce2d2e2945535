-- The messages of a delivery-history event, in order, whichever shape it was appended in: an object
-- per message (`messages`, before migration 0035) or columns per sync and collection (`groups`,
-- src/domain/http-consumers/events.ts MessageGroup), which is a third of the JSON to write, parse and
-- read back. Read by the history projection (src/projections/consumer-message-history.ts) and by
-- GET …/messages/{upstream_id} (src/queries/http-consumers.ts).
CREATE OR REPLACE FUNCTION syncline_history_messages(p_data jsonb)
RETURNS TABLE (n bigint, sync_id text, collection_id text, upstream_id text, updated_idx text, deliver_count integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT t.n, t.m->>'syncId', t.m->>'collectionId', t.m->>'upstreamId', t.m->>'updatedIdx', (t.m->>'deliverCount')::integer
  FROM jsonb_array_elements(p_data->'messages') WITH ORDINALITY AS t(m, n)
  UNION ALL
  SELECT row_number() OVER (ORDER BY g.n, u.i), g.g->>'syncId', g.g->>'collectionId', u.id,
    g.g->'updatedIdx'->>(u.i - 1)::integer, (g.g->'deliverCounts'->>(u.i - 1)::integer)::integer
  FROM jsonb_array_elements(p_data->'groups') WITH ORDINALITY AS g(g, n)
  CROSS JOIN LATERAL jsonb_array_elements_text(g.g->'upstreamIds') WITH ORDINALITY AS u(id, i)
$$;
