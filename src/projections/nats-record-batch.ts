import type pg from 'pg';
import type { RecordRow } from '../consumers/delivery.ts';
import { presentRecordRow } from '../queries/records.ts';
import { recordMessageId, recordSubject } from './nats-subject.ts';

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
 * The next records past `afterIdx`, in position order. The records table holds only the latest
 * version of each record, so a batch has at most one message per subject.
 */
export async function readRecordsAfter(pool: pg.Pool, filter: RecordFilter, afterIdx: bigint, limit: number): Promise<RecordRow[]> {
  const { rows } = await pool.query<RecordRow>(
    `SELECT sync_id, collection_id, upstream_id, updated_idx, data, deleted, upstream_created_at, upstream_updated_at
     FROM records WHERE stream_id = $1 AND ($2::uuid IS NULL OR sync_id = $2) AND updated_idx > $3
     ORDER BY updated_idx LIMIT $4`,
    [filter.streamId, filter.syncId, afterIdx.toString(), limit],
  );
  return rows;
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
