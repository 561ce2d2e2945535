-- Per-account overrides of the count limits, set by the root token (PATCH /v1/accounts/{id}),
-- projected from AccountLimitsSet. A null column (or no row) means the operator's default
-- (SYNCLINE_MAX_SYNCS_PER_ACCOUNT, SYNCLINE_MAX_CONSUMERS_PER_ACCOUNT).
CREATE TABLE account_limits (
  account_id uuid PRIMARY KEY,
  max_syncs integer,
  max_consumers integer,
  updated_at timestamptz(3) NOT NULL
);
