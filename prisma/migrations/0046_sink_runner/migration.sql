-- Issue 23: one sink runner for every push consumer kind (NATS, webhook, PostgreSQL; DESIGN.md §7b,
-- src/consumers/sinks/). Operational state, not events, owned by the runner: it creates a
-- consumer's row at the consumer's start position, applies its resets, and the supervisor deletes
-- the row once the consumer is gone. Never touched by rebuild-projections.

-- Per consumer: the position (last delivered `updated_idx`), what the API shows, and the window's
-- batches that failed at least once (so a restart does not reset their retry window).
CREATE TABLE sink_runtime (
  consumer_id uuid PRIMARY KEY,
  kind text NOT NULL,
  position bigint NOT NULL,
  -- connecting | connected | disconnected | error
  state text NOT NULL DEFAULT 'connecting',
  -- {message, at} of the last failure; null after a delivered batch
  last_error jsonb,
  last_delivered_at timestamptz(3),
  delivered_count bigint NOT NULL DEFAULT 0,
  -- {"<batch id>": {"attempts": n, "failed": n, "first_failed_at": "…", "dead": true?}} of the window in progress
  retrying jsonb NOT NULL DEFAULT '{}',
  -- redelivery requests of dead letters: asked (bumped by each request) and drained by the runner
  redelivery_requested bigint NOT NULL DEFAULT 0,
  redelivery_drained bigint NOT NULL DEFAULT 0,
  -- the consumer's reset count last applied (SinkConsumer.resetCount)
  reset_seq integer NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);

INSERT INTO sink_runtime (consumer_id, kind, position, state, last_error, last_delivered_at, delivered_count, updated_at)
SELECT rt.consumer_id, 'nats', rt.last_published_idx, rt.connection_state, rt.last_error, rt.last_published_at, rt.messages_published, rt.updated_at
FROM nats_consumer_runtime rt JOIN nats_consumers c ON c.id = rt.consumer_id;

DROP TABLE nats_consumer_runtime;

-- The runner creates a consumer's row at its start position: NATS consumers keep it (their
-- creation event's `startIdx`, as a rebuild projects it).
ALTER TABLE nats_consumers ADD COLUMN start_idx bigint NOT NULL DEFAULT 0;
DO $$
BEGIN
  IF to_regclass('emt_messages') IS NOT NULL THEN
    UPDATE nats_consumers c SET start_idx = (x.message_data->>'startIdx')::bigint
    FROM emt_messages x
    WHERE x.message_type = 'NatsConsumerCreated' AND x.message_kind = 'E' AND NOT x.is_archived
      AND (x.message_data->>'consumerId')::uuid = c.id;
  END IF;
END $$;
ALTER TABLE nats_consumers ALTER COLUMN start_idx DROP DEFAULT;

-- Records whose batch ran out of attempts or of its retry window; delivery went on behind them.
-- One row per record (a later dead letter of the same record replaces it).
CREATE TABLE sink_dead_letters (
  consumer_id uuid NOT NULL REFERENCES sink_runtime(consumer_id) ON DELETE CASCADE,
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  updated_idx bigint NOT NULL,
  batch_id text NOT NULL,
  attempts integer NOT NULL,
  last_error text NOT NULL,
  first_attempt_at timestamptz(3) NOT NULL,
  last_attempt_at timestamptz(3) NOT NULL,
  dead_at timestamptz(3) NOT NULL,
  -- asked to be delivered again (its record's current version), drained by the runner
  redeliver boolean NOT NULL DEFAULT false,
  PRIMARY KEY (consumer_id, sync_id, collection_id, upstream_id)
);
CREATE INDEX sink_dead_letters_newest_idx ON sink_dead_letters(consumer_id, dead_at DESC, sync_id DESC, collection_id DESC, upstream_id DESC);
CREATE INDEX sink_dead_letters_redeliver_idx ON sink_dead_letters(consumer_id) WHERE redeliver;

-- Every delivery attempt, the last 1,000 per consumer kept (the runner trims as it goes).
CREATE TABLE sink_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer_id uuid NOT NULL REFERENCES sink_runtime(consumer_id) ON DELETE CASCADE,
  at timestamptz(3) NOT NULL,
  batch_id text NOT NULL,
  batch_size integer NOT NULL,
  -- the target's answer status (HTTP), null when there was none
  status integer,
  latency_ms integer NOT NULL,
  error text,
  -- at most 2 KB of the target's answer
  response_excerpt text
);
CREATE INDEX sink_deliveries_consumer_idx ON sink_deliveries(consumer_id, id DESC);
