-- Delivery-history events list their messages as columns, one group per sync and collection
-- (src/domain/consumers/events.ts, MessageGroup): `{"groups":[{"syncId","collectionId",
-- "upstreamIds":[…],"ackTokens":[…],"updatedIdx":[…],"deliverCounts":[…]}]}` instead of an object
-- per message repeating every key and the sync and collection (DELIVERY.md, History). A batch's
-- two events were ~35 KB of JSON to write, parse and read back; as columns they are a third.
--
-- The messages of a history event, in order, whichever shape it was appended in: the read of
-- the projection (consumer_message_events) and of GET …/messages/{upstream_id}.
CREATE FUNCTION syncline_history_messages(p_data jsonb)
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
