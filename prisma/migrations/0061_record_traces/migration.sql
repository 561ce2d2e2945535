-- Issue 26 (OpenTelemetry traces): the W3C trace context (`traceparent`) of the span that wrote a
-- run of record versions, so a delivery of any of them is a child of it and one trace goes from
-- the upstream fetch to the consumer's ack. One row per write (a page, a batch of changes), not
-- per record: a write's versions take consecutive positions of their stream, (first_idx, last_idx].
-- Written only while tracing is on (src/tracing.ts); rows older than a week are pruned.
CREATE TABLE record_traces (
  stream_id uuid NOT NULL,
  -- the write's positions: first_idx < updated_idx <= last_idx
  first_idx bigint NOT NULL,
  last_idx bigint NOT NULL,
  traceparent text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, last_idx)
);
CREATE INDEX record_traces_created_idx ON record_traces (created_at);
