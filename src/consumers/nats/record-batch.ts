import type pg from 'pg';
import type { RecordRow } from '../../projections/record-row.ts';
import { streamRecordRows } from '../../queries/record-pages.ts';
import { presentRecordRow } from '../../queries/records.ts';
import { recordMessageId, recordSubject } from './subject.ts';

export interface RecordFilter {
  streamId: string;
  /** null: every sync of the stream */
  syncId: string | null;
}

export interface RecordMessage {
  subject: string;
  msgID: string;
  /** The record as the REST API answers it (DESIGN.md §2), as JSON. */
  data: Uint8Array;
  updatedIdx: bigint;
}

/**
 * The next records past `afterIdx`, in position order: at most `limit`, and past the first at
 * most `maxBytes` of them (a batch of 500 records of 100 KB was 50 MB in memory, twice with the
 * read-ahead). The records table holds only the latest version of each record, so a batch has at
 * most one message per subject.
 */
export async function readRecordsAfter(pool: pg.Pool, filter: RecordFilter, afterIdx: bigint, limit: number, maxBytes: number): Promise<RecordRow[]> {
  return (await streamRecordRows(pool, filter, afterIdx, limit, maxBytes)).rows;
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
