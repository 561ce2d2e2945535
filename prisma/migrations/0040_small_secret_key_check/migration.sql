-- A known text sealed with the credential-encryption key at first start: every later start opens
-- it and refuses to run with another key (src/db/secret-key-check.ts), instead of starting and
-- failing every sync that needs a secret. One row; read with plain SQL, not through Prisma.
CREATE TABLE secret_key_checks (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
