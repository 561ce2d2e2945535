/**
 * NATS subjects and message ids for published records (DESIGN.md §7, docs/NATS.md).
 *
 * A subject token cannot hold `.` (the separator), `*` and `>` (wildcards) or whitespace, so those
 * characters, control/format characters and `%` itself are written as `%XX`, one per UTF-8 byte
 * (uppercase hex). Every other character passes unchanged, which keeps ordinary ids such as
 * `cus_123` or `stripe:customer` readable, and `%` being escaped makes the mapping reversible.
 */
const NEEDS_ESCAPE = /[%.*>\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const ESCAPED_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
/** A subject cannot have an empty token; a lone `%` (never produced for a non-empty id) stands for "". */
const EMPTY_TOKEN = '%';

const percentBytes = (char: string) => [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');

export function escapeSubjectToken(value: string): string {
  if (value === '') return EMPTY_TOKEN;
  return value.replace(NEEDS_ESCAPE, percentBytes);
}

export function unescapeSubjectToken(token: string): string {
  if (token === EMPTY_TOKEN) return '';
  return token.replace(ESCAPED_RUN, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));
}

export interface RecordKey {
  sync_id: string;
  collection_id: string;
  upstream_id: string;
}

/** `<prefix>.<sync_id>.<collection_id>.<upstream_id>`, each record token escaped. */
export function recordSubject(prefix: string, record: RecordKey): string {
  return [prefix, record.sync_id, record.collection_id, record.upstream_id].map((part, i) => (i === 0 ? part : escapeSubjectToken(part))).join('.');
}

/** The parts of a record subject under `prefix`, or null for another subject. */
export function parseRecordSubject(prefix: string, subject: string): RecordKey | null {
  if (!subject.startsWith(`${prefix}.`)) return null;
  const tokens = subject.slice(prefix.length + 1).split('.');
  if (tokens.length !== 3) return null;
  const [syncId, collectionId, upstreamId] = tokens.map(unescapeSubjectToken) as [string, string, string];
  return { sync_id: syncId, collection_id: collectionId, upstream_id: upstreamId };
}

/**
 * `Nats-Msg-Id: <sync_id>:<collection_id>:<upstream_id>:<updated_idx>`: the same record version
 * always gets the same id, so JetStream drops a republished one inside its duplicate window.
 * A header value cannot hold line breaks, so control characters of the upstream id are `%XX`.
 */
export function recordMessageId(record: RecordKey & { updated_idx: number | string }): string {
  const upstreamId = record.upstream_id.replace(/[\p{Cc}]/gu, percentBytes);
  return `${record.sync_id}:${record.collection_id}:${upstreamId}:${record.updated_idx}`;
}

/** Letters, digits, `_` and `-` in dot-separated tokens: a literal subject prefix, no wildcards. */
export const SUBJECT_PREFIX_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * A change event's subject (docs/NATS.md, "Change events"):
 * `<prefix>.<sync_id>.<collection_id>.<action>.<upstream_id>.<updated_idx>`. Every version has a
 * subject of its own, so a stream with `max-msgs-per-subject=1` (as for records) keeps every event,
 * and wildcards pick an action (`<prefix>.*.stripe:subscription.updated.>`) or a record's history
 * (`<prefix>.*.stripe:subscription.*.sub_123.*`).
 */
export function eventSubject(prefix: string, event: RecordKey & { action: string; updated_idx: number | string }): string {
  return [prefix, ...[event.sync_id, event.collection_id, event.action, event.upstream_id].map(escapeSubjectToken), String(event.updated_idx)].join('.');
}

/** `Nats-Msg-Id: event:<…>`: never the id of the record message of the same version, should both go to one stream. */
export function eventMessageId(event: RecordKey & { updated_idx: number | string }): string {
  return `event:${recordMessageId(event)}`;
}
