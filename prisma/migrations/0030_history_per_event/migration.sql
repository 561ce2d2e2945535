-- Delivery history as one row per history event instead of one row per message.
--
-- A consumer's /next and /ack each append an event naming up to 1,000 messages
-- (`consumer-<id>-messages`). One row per message made every delivered message cost two more
-- indexed rows; PostgreSQL spent more on them than on the lease itself (npm run bench, consume).
-- A row per event with a GIN index on the messages' upstream ids finds a message's history as
-- fast, and the message details are read from the event it names (emt_messages).
CREATE TABLE consumer_message_events (
  consumer_id uuid NOT NULL,
  -- the event's position in its stream `consumer-<consumer_id>-messages`
  stream_position bigint NOT NULL,
  at timestamptz(3) NOT NULL,
  action text NOT NULL,
  upstream_ids text[] NOT NULL,
  PRIMARY KEY (consumer_id, stream_position)
);
CREATE INDEX consumer_message_events_upstream_ids_idx ON consumer_message_events USING gin (upstream_ids);

-- The history so far, projected from the event log as a rebuild would.
DO $$
BEGIN
  IF to_regclass('emt_messages') IS NOT NULL THEN
    INSERT INTO consumer_message_events (consumer_id, stream_position, at, action, upstream_ids)
    SELECT (x.message_data->>'consumerId')::uuid, x.stream_position, (x.message_data->>'at')::timestamptz,
      CASE x.message_type WHEN 'MessagesLeased' THEN 'delivered' WHEN 'MessagesAcked' THEN 'acked' WHEN 'MessagesNacked' THEN 'nacked' ELSE 'dead' END,
      ARRAY(SELECT m->>'upstreamId' FROM jsonb_array_elements(x.message_data->'messages') m)
    FROM emt_messages x
    WHERE x.message_type IN ('MessagesLeased', 'MessagesAcked', 'MessagesNacked', 'MessagesDead')
      AND x.message_kind = 'E' AND x.partition = 'emt:default' AND NOT x.is_archived
    ON CONFLICT DO NOTHING;
  END IF;
END $$;

DROP TABLE consumer_message_history;
