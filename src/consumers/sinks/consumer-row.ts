/**
 * What every push consumer kind's read-model row has in common (selection, start, identity), and
 * the parts of a SinkConsumer and of a status request built from it: each kind adds its own.
 */
import type { SinkConsumer, SinkKindName } from './sink.ts';
import { messageShapeOf, type EventAction, type MessageShape } from '../../domain/change-events.ts';
import type { SinkStatusInput } from './status.ts';

/** The columns every push consumer's read model row has for its selection and start. */
export interface SinkConsumerRow {
  id: string;
  accountId: string;
  name: string;
  generation: number;
  streamId: string;
  syncId: string | null;
  /** empty: every collection */
  collectionIds: string[];
  provider: string | null;
  startIdx: bigint;
  resetCount: number;
  /** record | event (migration 0059); the event filters, empty for none. */
  messageKind: string;
  eventActions: string[];
  eventChangedFields: string[];
}

/** What a consumer row delivers: records, or change events with their filters. */
export const sinkMessageOf = (row: SinkConsumerRow): MessageShape =>
  messageShapeOf({
    messageKind: row.messageKind === 'event' ? 'event' : 'record',
    eventActions: row.eventActions.length > 0 ? (row.eventActions as EventAction[]) : null,
    eventChangedFields: row.eventChangedFields.length > 0 ? row.eventChangedFields : null,
  });

/** A consumer row's selection as the runner reads it (no collections listed: every collection). */
export const sinkSelectionOf = (row: SinkConsumerRow): SinkConsumer['selection'] => ({
  streamId: row.streamId,
  syncId: row.syncId,
  collectionIds: row.collectionIds.length > 0 ? row.collectionIds : null,
  provider: row.provider,
});

/** What `sinkStatuses` needs of a row, without anything the kind's writer needs (no secret opened). */
export const sinkStatusInputOf = (row: SinkConsumerRow): SinkStatusInput => ({
  id: row.id,
  selection: sinkSelectionOf(row),
  startIdx: row.startIdx,
  resetCount: row.resetCount,
  message: sinkMessageOf(row),
});

/** The SinkConsumer fields every kind fills the same way from its row. */
export const sinkConsumerBase = <K extends SinkKindName>(kind: K, row: SinkConsumerRow) => ({
  kind,
  id: row.id,
  accountId: row.accountId,
  name: row.name,
  selection: sinkSelectionOf(row),
  generation: row.generation,
  startIdx: row.startIdx,
  resetCount: row.resetCount,
  message: sinkMessageOf(row),
});
