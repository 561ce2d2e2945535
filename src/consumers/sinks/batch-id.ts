import { createHash } from 'node:crypto';
import type { RecordRow } from '../../projections/record-row.ts';

/**
 * A batch's id: `msg_` and the base64url SHA-256 of the consumer id and each record's key and
 * `updated_idx`. The same records get the same id on every attempt, after a restart, and after an
 * update of the consumer (no generation in it), so a target can drop what it already has.
 */
export function batchId(consumerId: string, rows: readonly Pick<RecordRow, 'sync_id' | 'collection_id' | 'upstream_id' | 'updated_idx'>[]): string {
  // JSON strings: no id can end one record's key and begin the next. One text hashed at once (the
  // same bytes as a line per update, at a fraction of the calls).
  let keys = consumerId;
  for (const row of rows) keys += `\n${JSON.stringify([row.sync_id, row.collection_id, row.upstream_id])}@${row.updated_idx}`;
  return `msg_${createHash('sha256').update(keys, 'utf8').digest('base64url')}`;
}
