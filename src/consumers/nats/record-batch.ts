import type { RecordRow } from '../../projections/record-row.ts';
import { presentRecordRow } from '../../queries/records.ts';
import { presentChangeEvent, type ChangeEventRow } from '../../queries/change-events.ts';
import { eventMessageId, eventSubject, recordMessageId, recordSubject } from './subject.ts';

export interface RecordMessage {
  subject: string;
  msgID: string;
  /** The record as the REST API answers it (DESIGN.md §2), as JSON. */
  data: Uint8Array;
  updatedIdx: bigint;
}

const encoder = new TextEncoder();

export function toRecordMessage(subjectPrefix: string, row: RecordRow): RecordMessage {
  const record = presentRecordRow(row);
  return {
    subject: recordSubject(subjectPrefix, record),
    msgID: recordMessageId({ ...record, updated_idx: row.updated_idx }),
    data: encoder.encode(JSON.stringify(record)),
    updatedIdx: BigInt(row.updated_idx),
  };
}

/** A change event's message: `{action, changes, record, occurred_at}` on its own subject (eventSubject). */
export function toEventMessage(subjectPrefix: string, row: ChangeEventRow): RecordMessage {
  const event = presentChangeEvent(row);
  return {
    subject: eventSubject(subjectPrefix, { ...event.record, action: event.action }),
    msgID: eventMessageId({ ...event.record, updated_idx: row.updated_idx }),
    data: encoder.encode(JSON.stringify(event)),
    updatedIdx: BigInt(row.updated_idx),
  };
}
