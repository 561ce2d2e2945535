CREATE TABLE http_consumers (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  sync_id uuid,
  collection_ids text[],
  name text NOT NULL,
  deliver_policy text NOT NULL,
  ack_wait_ms integer NOT NULL,
  max_deliver integer NOT NULL,
  max_ack_pending integer NOT NULL,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX http_consumers_stream_id_idx ON http_consumers(stream_id);

-- Delivery state (JetStream-like): the cursor over the stream's updated_idx, and in-flight leases.
-- Row locks on these tables give concurrent /next callers disjoint batches.
CREATE TABLE consumer_cursors (
  consumer_id uuid PRIMARY KEY,
  cursor bigint NOT NULL
);

CREATE TABLE consumer_leases (
  consumer_id uuid NOT NULL,
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  -- the record version this lease delivered
  updated_idx bigint NOT NULL,
  ack_token uuid NOT NULL UNIQUE,
  deliver_count integer NOT NULL,
  -- when the lease expires and the message is redelivered
  deadline timestamptz(3) NOT NULL,
  dead boolean NOT NULL DEFAULT false,
  dead_at timestamptz(3),
  PRIMARY KEY (consumer_id, sync_id, collection_id, upstream_id)
);
CREATE INDEX consumer_leases_due_idx ON consumer_leases(consumer_id, deadline) WHERE NOT dead;

-- Delivery history (projection of MessagesLeased / MessagesAcked / MessagesNacked / MessagesDead).
CREATE TABLE consumer_message_history (
  consumer_id uuid NOT NULL,
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  at timestamptz(3) NOT NULL,
  action text NOT NULL,
  updated_idx bigint,
  deliver_count integer,
  ack_token uuid
);
CREATE INDEX consumer_message_history_key_idx ON consumer_message_history(consumer_id, upstream_id, at);
