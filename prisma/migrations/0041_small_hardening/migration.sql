-- A known text sealed with the credential-encryption key at first start: every later start opens
-- it and refuses to run with another key (src/db/secret-key-check.ts), instead of starting and
-- failing every sync that needs a secret. One row; read with plain SQL, not through Prisma.
CREATE TABLE secret_key_checks (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Secret hints now show at most the last 4 characters, and none of a secret under 12
-- characters (src/crypto/secret-box.ts). Hints written before (`sk_l…7dc`: 7 characters of any
-- secret, 7 of 9 for a short one) are cut to `…` in the read models, as the projections now do.
UPDATE credentials SET secret_hints = (
  SELECT coalesce(jsonb_object_agg(key, CASE WHEN jsonb_typeof(value) = 'string' AND left(value #>> '{}', 1) <> '…' THEN to_jsonb('…'::text) ELSE value END), '{}'::jsonb)
  FROM jsonb_each(secret_hints)
);
UPDATE nats_consumers SET secret_hints = (
  SELECT coalesce(jsonb_object_agg(key, CASE WHEN jsonb_typeof(value) = 'string' AND left(value #>> '{}', 1) <> '…' THEN to_jsonb('…'::text) ELSE value END), '{}'::jsonb)
  FROM jsonb_each(secret_hints)
);
UPDATE oauth_apps SET client_secret_hint = '…' WHERE left(client_secret_hint, 1) <> '…';
