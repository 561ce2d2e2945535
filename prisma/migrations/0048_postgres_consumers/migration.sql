-- PostgreSQL consumers (issue 23): the projection of PostgresConsumerCreated / Updated / Reset /
-- Deleted (src/projections/postgres-consumers.ts). A read model only: the sink runner keeps the
-- delivery position and status in its own runtime table.
CREATE TABLE postgres_consumers (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  sync_id uuid,
  -- null: every collection
  collection_ids text[],
  provider text,
  name text NOT NULL,
  host text NOT NULL,
  port integer NOT NULL,
  database text NOT NULL,
  db_user text NOT NULL,
  -- disable | require | verify-ca | verify-full
  ssl_mode text NOT NULL,
  -- the postgres:// URL as given, without its password; null when the fields were given
  connection_url text,
  -- AES-256-GCM ciphertext of the password; never clear text; null without a password
  password_encrypted text,
  password_hint text,
  table_schema text NOT NULL,
  table_name text NOT NULL,
  create_table boolean NOT NULL,
  -- mark | delete
  deletes text NOT NULL,
  batch_size integer NOT NULL,
  -- the start position of the creation or of the last reset
  deliver_policy text NOT NULL,
  opt_start_time timestamptz(3),
  opt_start_idx bigint,
  start_idx bigint NOT NULL,
  reset_count integer NOT NULL DEFAULT 0,
  -- bumped by every update and reset: a running writer restarts when it changes
  generation integer NOT NULL DEFAULT 0,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX postgres_consumers_stream_id_idx ON postgres_consumers(stream_id);
