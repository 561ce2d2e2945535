import type { SObjectRecord } from './api.ts';
import { modstampOf, recordId } from './changes-cursor.ts';

/**
 * Where a backfill stands: the query locator's next batch, and (for when the locator has expired,
 * e.g. after a long restart: Salesforce drops idle locators after 15 minutes) the SystemModstamp
 * of the last record listed with the ids listed at that instant, so the listing can start again
 * from `SystemModstamp >= t` without listing any record twice.
 */
export interface BackfillCursor {
  next: string;
  t: number;
  ids: string[];
}

export function encodeBackfillCursor(cursor: BackfillCursor): string {
  return JSON.stringify(cursor);
}

export function decodeBackfillCursor(raw: string): BackfillCursor {
  const parsed = JSON.parse(raw) as Partial<BackfillCursor>;
  if (typeof parsed.next !== 'string' || typeof parsed.t !== 'number' || !Array.isArray(parsed.ids)) throw new Error(`malformed Salesforce backfill cursor: ${raw}`);
  return { next: parsed.next, t: parsed.t, ids: parsed.ids.filter((id): id is string => typeof id === 'string') };
}

/** The resume position after `records` (oldest first) were listed from `previous`. */
export function advanceBackfill(previous: Pick<BackfillCursor, 't' | 'ids'> | null, records: readonly SObjectRecord[]): Pick<BackfillCursor, 't' | 'ids'> {
  const last = records[records.length - 1];
  if (!last) return previous ?? { t: 0, ids: [] };
  const t = modstampOf(last);
  const ids = new Set(previous && previous.t === t ? previous.ids : []);
  for (const r of records) if (modstampOf(r) === t) ids.add(recordId(r));
  return { t, ids: [...ids] };
}

/** Records of a restarted listing (`SystemModstamp >= cursor.t`) that the backfill has not listed yet. */
export function notListedYet(cursor: Pick<BackfillCursor, 't' | 'ids'>, records: readonly SObjectRecord[]): SObjectRecord[] {
  const listed = new Set(cursor.ids);
  return records.filter((r) => {
    const ms = modstampOf(r);
    return ms > cursor.t || (ms === cursor.t && !listed.has(recordId(r)));
  });
}
