-- OAuth connect states are single-use (issue 21, finding 4): the callback records the state's
-- nonce before it sends the OAuth app's client secret to the token endpoint; a replayed state
-- finds its nonce here and is refused without an outbound request. Rows outlive the state's own
-- expiry only until the next callback removes them.
CREATE TABLE oauth_states_used (
  nonce uuid PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_states_used_expires_at ON oauth_states_used (expires_at);
