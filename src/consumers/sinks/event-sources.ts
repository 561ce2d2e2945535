/**
 * The rows a consumer of records or of change events reads (docs/DELIVERY.md, "Change events"):
 * records as `recordRows` reads them, or every version past the position that the consumer's event
 * filters let through (`record_versions`, migration 0059), as `ChangeEventRow`s, which are
 * `RecordRow`s with the event's action, changes and time: a writer tells them apart by `isChangeEvent`.
 */
import type { RecordRow } from '../../projections/record-row.ts';
import { streamEventRows, type ChangeEventRow } from '../../queries/change-events.ts';
import { recordRows } from './record-sources.ts';
import type { SinkRecordSource } from './sink.ts';

export const isChangeEvent = (row: RecordRow): row is ChangeEventRow => 'action' in row;

export const recordOrEventRows: SinkRecordSource<RecordRow> = {
  async read(source, after, limit) {
    const { consumer, pool, maxBytes } = source;
    if (consumer.message.messageKind !== 'event') return recordRows.read(source, after, limit);
    const { rows, more } = await streamEventRows(pool, { ...consumer.selection, ...consumer.message }, after, limit, maxBytes);
    return { records: rows, more };
  },
  // NATS consumers never dead-letter.
  redeliveries: recordRows.redeliveries,
};
