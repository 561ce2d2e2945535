import { createHash } from 'node:crypto';
import type { SObjectRecord } from './api.ts';
import { parseSalesforceDate } from './datetime.ts';

/**
 * The one changes cursor of a collection holds two positions:
 * - updates: `t`, the newest SystemModstamp applied (ms), and `seen`, a digest of each record
 *   applied at exactly `t`. Salesforce keeps datetimes to the second, so many changes share
 *   one instant; the next poll asks `SystemModstamp >= t` and skips what `seen` already has.
 *   A digest rather than a bare id: a second change of a record within the same second keeps
 *   its SystemModstamp but not its content, and must not be skipped.
 * - deletes: `d`, the delete log's `latestDateCovered` (ms; everything deleted before it was
 *   applied), and `dSeen`, the ids applied with a deletedDate at or after `d` (the log may
 *   answer them again, its windows overlap).
 */
export interface ChangesCursor {
  t: number;
  seen: Record<string, string>;
  d: number;
  dSeen: Record<string, number>;
}

export function encodeChangesCursor(cursor: ChangesCursor): string {
  return JSON.stringify(cursor);
}

export function decodeChangesCursor(raw: string): ChangesCursor {
  const parsed = JSON.parse(raw) as Partial<ChangesCursor>;
  if (typeof parsed.t !== 'number' || typeof parsed.d !== 'number' || !isRecord(parsed.seen) || !isRecord(parsed.dSeen)) {
    throw new Error(`malformed Salesforce changes cursor: ${raw}`);
  }
  return { t: parsed.t, seen: parsed.seen as Record<string, string>, d: parsed.d, dSeen: parsed.dSeen as Record<string, number> };
}

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

export function recordDigest(record: SObjectRecord): string {
  return createHash('sha256').update(JSON.stringify(record)).digest('base64url').slice(0, 16);
}

export const recordId = (record: SObjectRecord): string => {
  if (typeof record.Id !== 'string') throw new Error('a Salesforce record without Id');
  return record.Id;
};

/** A record's SystemModstamp (ms); every record the provider selects has it. */
export function modstampOf(record: SObjectRecord): number {
  const ms = parseSalesforceDate(record.SystemModstamp);
  if (ms === null) throw new Error(`a Salesforce record without SystemModstamp: ${String(record.Id)}`);
  return ms;
}

/** Records listed from `SystemModstamp >= t` (oldest first) that the cursor has not applied. */
export function freshUpdates(cursor: Pick<ChangesCursor, 't' | 'seen'>, records: readonly SObjectRecord[]): SObjectRecord[] {
  return records.filter((r) => {
    const ms = modstampOf(r);
    if (ms < cursor.t) return false;
    return !(ms === cursor.t && cursor.seen[recordId(r)] === recordDigest(r));
  });
}

/** The update position after applying `fresh` (oldest first). */
export function advanceUpdates(cursor: Pick<ChangesCursor, 't' | 'seen'>, fresh: readonly SObjectRecord[]): Pick<ChangesCursor, 't' | 'seen'> {
  if (fresh.length === 0) return { t: cursor.t, seen: cursor.seen };
  const t = Math.max(cursor.t, ...fresh.map(modstampOf));
  const seen: Record<string, string> = t === cursor.t ? { ...cursor.seen } : {};
  for (const r of fresh) if (modstampOf(r) === t) seen[recordId(r)] = recordDigest(r);
  return { t, seen };
}

export interface DeletedEntry {
  id: string;
  deletedAt: number;
}

/** Delete-log entries not applied yet, and the delete position after them. */
export function advanceDeletes(cursor: Pick<ChangesCursor, 'd' | 'dSeen'>, entries: readonly DeletedEntry[], latestDateCovered: number | null): { fresh: DeletedEntry[]; d: number; dSeen: Record<string, number> } {
  const fresh: DeletedEntry[] = [];
  const applied = new Set<string>();
  for (const e of entries) {
    if (e.deletedAt < cursor.d || cursor.dSeen[e.id] !== undefined || applied.has(e.id)) continue;
    applied.add(e.id);
    fresh.push(e);
  }
  fresh.sort((a, b) => a.deletedAt - b.deletedAt);
  const d = Math.max(cursor.d, latestDateCovered ?? cursor.d);
  const dSeen: Record<string, number> = {};
  for (const [id, at] of Object.entries(cursor.dSeen)) if (at >= d) dSeen[id] = at;
  for (const e of fresh) if (e.deletedAt >= d) dSeen[e.id] = e.deletedAt;
  return { fresh, d, dSeen };
}
