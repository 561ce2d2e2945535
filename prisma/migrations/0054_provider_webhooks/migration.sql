-- Issue 24: provider webhooks (docs/PROVIDER-WEBHOOKS.md).
--
-- A sync's webhook settings and its registration upstream, projected from its events
-- (SyncCreated / SyncUpdated `webhooks`, SyncWebhookRegistered / …RegistrationFailed / …Unregistered).
-- Secrets are AES-256-GCM sealed (src/crypto/secret-box.ts), never clear text.
ALTER TABLE syncs
  ADD COLUMN webhooks_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN webhook_signing_secret_sealed text,
  ADD COLUMN webhook_reconcile_interval_ms integer,
  -- {state: registered|failed, url, collectionIds, registrationSealed?, expiresAt?, error?, at}
  ADD COLUMN webhook_registration jsonb;

-- Operational state below, like sync_runtime: not projections, not rebuilt from the log.

-- Hints of verified webhooks waiting for the sync's runner: one row per object, however many
-- webhooks named it (a burst is coalesced). `received_seq` changes on every receipt, so the
-- runner deletes a row only if no webhook named the object again while it was being read.
CREATE SEQUENCE sync_webhook_hint_seq;
CREATE TABLE sync_webhook_hints (
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  -- some webhook said the object was deleted (the fetch decides)
  deleted boolean NOT NULL,
  received_at timestamptz(3) NOT NULL,
  received_seq bigint NOT NULL DEFAULT nextval('sync_webhook_hint_seq'),
  PRIMARY KEY (sync_id, collection_id, upstream_id)
);
CREATE INDEX sync_webhook_hints_order_idx ON sync_webhook_hints (sync_id, received_seq);

-- Delivery ids seen per sync (Stripe's event id, X-GitHub-Delivery, X-Shopify-Webhook-Id…): a
-- redelivery is counted, not applied again. Kept 3 days (Stripe retries that long), pruned by the
-- sync's runner.
CREATE TABLE sync_webhook_deliveries (
  sync_id uuid NOT NULL,
  delivery_id text NOT NULL,
  received_at timestamptz(3) NOT NULL,
  PRIMARY KEY (sync_id, delivery_id)
);
CREATE INDEX sync_webhook_deliveries_age_idx ON sync_webhook_deliveries (sync_id, received_at);

-- Counters of the status's `webhooks` part.
CREATE TABLE sync_webhook_runtime (
  sync_id uuid PRIMARY KEY,
  received bigint NOT NULL DEFAULT 0,
  verified bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  duplicates bigint NOT NULL DEFAULT 0,
  -- versions written by polls while webhooks were enabled: what webhooks missed
  changes_missed bigint NOT NULL DEFAULT 0,
  last_received_at timestamptz(3),
  last_verified_at timestamptz(3),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);
