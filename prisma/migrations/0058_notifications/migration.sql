-- Failure notifications (issue 26, docs/OPERATIONS.md "Notifications").

-- An account's notification webhook: projection of NotificationWebhookSet / Updated /
-- SecretRotated / Removed (a read model, rebuilt with the others).
CREATE TABLE notification_webhooks (
  account_id uuid PRIMARY KEY,
  url text NOT NULL,
  -- AES-256-GCM ciphertext of the signing secret (whsec_…); never clear text
  secret_encrypted text NOT NULL,
  secret_hint text NOT NULL,
  -- the secret the last rotation replaced: notifications carry its signature too until then
  previous_secret_encrypted text,
  previous_secret_valid_until timestamptz(3),
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL
);

-- The outbox: per account, subject (`sync:<id>`, `consumer:<id>`) and topic (`health`,
-- `backfill:<collection>`, `dead_letters`), the latest notification not sent yet. Written by the
-- notification outbox projection in the transaction of the event it derives from (so a restart
-- loses none), emptied by the notifier once the webhook answered 2xx. Not a read model: a rebuild
-- of the read models leaves it alone (it would send the whole past again).
CREATE TABLE notification_subjects (
  account_id uuid NOT NULL,
  subject text NOT NULL,
  topic text NOT NULL,
  -- {type, timestamp, data}: what the next POST says; null: nothing to send
  pending jsonb,
  pending_since timestamptz(3),
  -- changes ever recorded for the subject and topic (the webhook-id of a notification names it)
  seq bigint NOT NULL DEFAULT 0,
  -- changes coalesced into `pending` since the last notification sent
  coalesced integer NOT NULL DEFAULT 0,
  -- the last error of a health topic, for the recovery that follows it
  last_error jsonb,
  last_sent_at timestamptz(3),
  attempts integer NOT NULL DEFAULT 0,
  retry_at timestamptz(3),
  attempt_error text,
  leased_until timestamptz(3),
  PRIMARY KEY (account_id, subject, topic)
);
CREATE INDEX notification_subjects_pending_idx ON notification_subjects (pending_since) WHERE pending IS NOT NULL;

-- The last attempts per account (GET /v1/account/notification-webhook/deliveries).
CREATE TABLE notification_deliveries (
  id bigserial PRIMARY KEY,
  account_id uuid NOT NULL,
  at timestamptz(3) NOT NULL,
  webhook_id text NOT NULL,
  type text NOT NULL,
  status integer,
  latency_ms double precision NOT NULL,
  error text
);
CREATE INDEX notification_deliveries_account_idx ON notification_deliveries (account_id, id DESC);
