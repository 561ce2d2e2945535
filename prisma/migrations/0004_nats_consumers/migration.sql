-- NATS consumers (projection of NatsConsumerCreated / NatsConsumerUpdated / NatsConsumerDeleted).
CREATE TABLE nats_consumers (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  sync_id uuid,
  name text NOT NULL,
  subject_prefix text NOT NULL,
  deliver_policy text NOT NULL,
  nats_host text NOT NULL,
  nats_port integer NOT NULL,
  nats_tls boolean NOT NULL,
  nats_user text,
  -- AES-256-GCM ciphertext of {jwt?, nkey_seed?, password?, token?}; never clear text
  secrets_encrypted text NOT NULL,
  secret_hints jsonb NOT NULL,
  -- bumped by every update: a running publisher restarts when it changes
  generation integer NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX nats_consumers_stream_id_idx ON nats_consumers(stream_id);

-- Operational state of a consumer's publisher: the checkpoint (stream position published and acked
-- by JetStream), written after every batch, and the connection health. Not events: the row is created
-- with the consumer (at its start position) and is not reset by rebuild-projections.
CREATE TABLE nats_consumer_runtime (
  consumer_id uuid PRIMARY KEY,
  last_published_idx bigint NOT NULL,
  connection_state text NOT NULL DEFAULT 'connecting',
  -- {message, at} of the last failure; null after a successful batch
  last_error jsonb,
  messages_published bigint NOT NULL DEFAULT 0,
  last_published_at timestamptz(3),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
