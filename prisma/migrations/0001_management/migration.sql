CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  is_root boolean NOT NULL DEFAULT false,
  created_at timestamptz(3) NOT NULL
);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id),
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  created_at timestamptz(3) NOT NULL,
  revoked_at timestamptz(3)
);
CREATE INDEX api_tokens_account_id_idx ON api_tokens(account_id);

CREATE TABLE streams (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id),
  name text NOT NULL,
  created_at timestamptz(3) NOT NULL,
  UNIQUE (account_id, name)
);

CREATE TABLE credentials (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  kind text NOT NULL,
  name text,
  oauth_app_id uuid,
  api_base_url text,
  metadata jsonb NOT NULL,
  secrets_encrypted text NOT NULL,
  secret_hints jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL
);
CREATE INDEX credentials_account_id_idx ON credentials(account_id);

CREATE TABLE oauth_apps (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  provider text NOT NULL,
  client_id text NOT NULL,
  client_secret_encrypted text NOT NULL,
  client_secret_hint text NOT NULL,
  created_at timestamptz(3) NOT NULL
);
CREATE INDEX oauth_apps_account_id_idx ON oauth_apps(account_id);
