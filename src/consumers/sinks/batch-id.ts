import { createHash } from 'node:crypto';
import type { RecordRow } from '../../projections/record-row.ts';

/** Characters JSON.stringify escapes in a string (quote, backslash, controls) or may (lone surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(text), without its call where nothing needs escaping (ids nearly never do). */
const jsonString = (text: string): string => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);

/**
 * A batch's id: `msg_` and the base64url SHA-256 of the consumer id and each record's key and
 * `updated_idx`. The same records get the same id on every attempt, after a restart, and after an
 * update of the consumer (no generation in it), so a target can drop what it already has.
 */
export function batchId(consumerId: string, rows: readonly Pick<RecordRow, 'sync_id' | 'collection_id' | 'upstream_id' | 'updated_idx'>[]): string {
  // Each key as the JSON array of its three strings: no id can end one record's key and begin the
  // next. One text hashed at once (the same bytes as a line per update, at a fraction of the calls).
  let keys = consumerId;
  for (const row of rows) keys += `\n[${jsonString(row.sync_id)},${jsonString(row.collection_id)},${jsonString(row.upstream_id)}]@${row.updated_idx}`;
  return `msg_${createHash('sha256').update(keys, 'utf8').digest('base64url')}`;
}
