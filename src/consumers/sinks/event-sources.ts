/**
 * The rows a consumer of records or of change events reads (docs/DELIVERY.md, "Change events"):
 * records as `recordRows` / `keptRecordJson` read them, or every version past the position that the
 * consumer's event filters let through (`record_versions`, migration 0059): as `ChangeEventRow`s,
 * which are `RecordRow`s with the event's action, changes and time (a writer tells them apart by
 * `isChangeEvent`), or, for webhooks, as each event's JSON text, kept as plans like records.
 */
import type { RecordRow } from '../../projections/record-row.ts';
import { eventJsonOf, streamEventRows, type ChangeEventRow } from '../../queries/change-events.ts';
import { takeRedeliveries } from './dead-letters.ts';
import { JSON_EVENT_COLUMNS, keepPlan, keptPlans, readEventPlan } from './plans.ts';
import { keptRecordJson, recordRows } from './record-sources.ts';
import type { JsonRecord, SinkReadContext, SinkRecordSource } from './sink.ts';

export const isChangeEvent = (row: RecordRow): row is ChangeEventRow => 'action' in row;

const readsEvents = ({ consumer }: SinkReadContext) => consumer.message.messageKind === 'event';

export const recordOrEventRows: SinkRecordSource<RecordRow> = {
  async read(source, after, limit) {
    const { consumer, pool, maxBytes } = source;
    if (!readsEvents(source)) return recordRows.read(source, after, limit);
    const { rows, more } = await streamEventRows(pool, { ...consumer.selection, ...consumer.message }, after, limit, maxBytes);
    return { records: rows, more };
  },
  // NATS and PostgreSQL consumers never dead-letter.
  redeliveries: recordRows.redeliveries,
};

/**
 * Webhooks: records or change events as JSON texts, kept as plans when read (the same batches under
 * the same `webhook-id`s after a restart). A dead-lettered event is redelivered as that very version.
 */
export const keptRecordOrEventJson: SinkRecordSource<JsonRecord> = {
  read(source, after, limit) {
    const { consumer, pool, maxBytes } = source;
    if (!readsEvents(source)) return keptRecordJson.read(source, after, limit);
    return readEventPlan(pool, { ...consumer.selection, ...consumer.message }, after, limit, maxBytes);
  },
  redeliveries(source, position, limit) {
    if (!readsEvents(source)) return keptRecordJson.redeliveries(source, position, limit);
    return takeRedeliveries<JsonRecord>(source.pool, source.consumer.id, position, limit, source.maxBytes, JSON_EVENT_COLUMNS, 'record_versions');
  },
  plans: {
    // Positions only: the same for records and change events.
    keep: keepPlan,
    kept(source, position) {
      // Each consumer's own texts: a consumer of records resends records, not change events.
      if (!readsEvents(source)) return keptRecordJson.plans!.kept(source, position);
      return keptPlans(source.pool, source.consumer.id, source.consumer.selection.streamId, position, eventJsonOf);
    },
  },
};
