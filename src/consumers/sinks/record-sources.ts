/**
 * How the runner reads a kind's records (SinkRecordSource, sink.ts): as rows for writers that use
 * their fields (NATS messages, PostgreSQL upserts), or as JSON texts built by PostgreSQL and kept
 * for a restart, for webhooks (the body is the texts joined: nothing parsed or serialized again).
 */
import type { RecordRow } from '../../projections/record-row.ts';
import { recordJsonOf, streamRecordRows } from '../../queries/record-pages.ts';
import { takeRedeliveries } from './dead-letters.ts';
import { JSON_RECORD_COLUMNS, keepPlan, keptPlans, readRecordPlan } from './plans.ts';
import type { JsonRecord, SinkRecordSource } from './sink.ts';

const ROW_COLUMNS = 'c.sync_id, c.collection_id, c.upstream_id, c.updated_idx, c.data, c.deleted, c.upstream_created_at, c.upstream_updated_at';

/** Records as `RecordRow`s, read again after a restart (targets that need no same-batch resend). */
export const recordRows: SinkRecordSource<RecordRow> = {
  async read({ pool, consumer, maxBytes }, after, limit) {
    const { rows, more } = await streamRecordRows(pool, consumer.selection, after, limit, maxBytes);
    return { records: rows, more };
  },
  redeliveries: ({ pool, consumer, maxBytes }, position, limit) => takeRedeliveries<RecordRow>(pool, consumer.id, position, limit, maxBytes, ROW_COLUMNS),
};

/** Records as JSON texts (DESIGN.md §2), kept as plans when read and sent again as kept after a restart. */
export const keptRecordJson: SinkRecordSource<JsonRecord> = {
  read: ({ pool, consumer, maxBytes }, after, limit) => readRecordPlan(pool, consumer.selection, after, limit, maxBytes),
  redeliveries: ({ pool, consumer, maxBytes }, position, limit) => takeRedeliveries<JsonRecord>(pool, consumer.id, position, limit, maxBytes, JSON_RECORD_COLUMNS),
  plans: {
    keep: keepPlan,
    kept: ({ pool, consumer }, position) => keptPlans(pool, consumer.id, consumer.selection.streamId, position, recordJsonOf),
  },
};
