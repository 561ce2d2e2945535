-- Webhook consumers (issue 23, DESIGN.md §7b): projection of WebhookConsumerCreated / Updated /
-- SecretRotated / Reset / Deleted. Settings only: the sink runner keeps positions, retries, dead
-- letters and the delivery log in tables of its own.
CREATE TABLE webhook_consumers (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  sync_id uuid,
  -- empty: every collection
  collection_ids text[] NOT NULL DEFAULT '{}',
  provider text,
  name text NOT NULL,
  url text NOT NULL,
  -- AES-256-GCM ciphertext of {<header name>: <value>}; never clear text
  headers_encrypted text NOT NULL,
  header_hints jsonb NOT NULL,
  -- AES-256-GCM ciphertext of the signing secret (whsec_…); never clear text
  secret_encrypted text NOT NULL,
  secret_hint text NOT NULL,
  -- the secret the last rotation replaced: deliveries carry its signature too until then
  previous_secret_encrypted text,
  previous_secret_valid_until timestamptz(3),
  batch_size integer NOT NULL,
  timeout_ms integer NOT NULL,
  max_deliver integer NOT NULL,
  retry_window_ms bigint NOT NULL,
  max_in_flight integer NOT NULL,
  -- the start position of the creation or of the last reset
  deliver_policy text NOT NULL,
  opt_start_time timestamptz(3),
  opt_start_idx bigint,
  start_idx bigint NOT NULL,
  reset_count integer NOT NULL DEFAULT 0,
  -- bumped by every update, rotation and reset: a running runner restarts when it changes
  generation integer NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX webhook_consumers_stream_id_idx ON webhook_consumers(stream_id);
