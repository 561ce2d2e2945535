/**
 * The changes cursor of a HubSpot collection, in two parts.
 *
 * `m`, over the search API sorted ascending by the last-modified date: the newest modification
 * time applied (ms) and the ids applied at that very millisecond. Each poll searches `GTE t` from
 * the first result again and skips those ids, so ties on one millisecond lose nothing, and a poll
 * never pages far into one query (the search API refuses results past the 10,000th): the filter
 * value moves forward instead.
 *
 * `a`, over the archived listing (`archived=true`, in id order, no time filter): a scan pages
 * through all archived objects and reports those archived at or after `threshold`. An object
 * archived while a scan runs can land on a page already read, so the next scan's threshold is
 * the newest `archivedAt` seen by the scans before the one just finished (`lastMax` before it is
 * raised): everything archived since then is reported again, never missed. Repeated tombstones
 * are byte-identical and make no new record version.
 */

export interface ModifiedCursor {
  /** Epoch ms of the newest modification applied. */
  t: number;
  /** Ids of the objects applied with modification time `t`. */
  ids: string[];
}

export interface ArchivedCursor {
  /** Report archived objects with `archivedAt` ≥ this (epoch ms). */
  threshold: number;
  /** Newest `archivedAt` seen by the completed scans. */
  lastMax: number;
  /** Newest `archivedAt` seen by the scan in progress. */
  scanMax: number;
  /** The listing's `after` of the scan in progress; null between scans. */
  after: string | null;
}

export interface ChangesCursor {
  m: ModifiedCursor;
  a: ArchivedCursor;
}

export function initialChangesCursor(newestModifiedMs: number, nowMs: number): ChangesCursor {
  return { m: { t: newestModifiedMs, ids: [] }, a: { threshold: nowMs, lastMax: nowMs, scanMax: 0, after: null } };
}

export function encodeChangesCursor(cursor: ChangesCursor): string {
  return JSON.stringify(cursor);
}

const isMs = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export function decodeChangesCursor(raw: string): ChangesCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`malformed HubSpot changes cursor: ${raw}`);
  }
  const { m, a } = (parsed ?? {}) as { m?: Partial<ModifiedCursor>; a?: Partial<ArchivedCursor> };
  if (!m || !a || !isMs(m.t) || !Array.isArray(m.ids) || !isMs(a.threshold) || !isMs(a.lastMax) || !isMs(a.scanMax) || !(a.after === null || typeof a.after === 'string')) {
    throw new Error(`malformed HubSpot changes cursor: ${raw}`);
  }
  return {
    m: { t: m.t, ids: m.ids.filter((id): id is string => typeof id === 'string') },
    a: { threshold: a.threshold, lastMax: a.lastMax, scanMax: a.scanMax, after: a.after },
  };
}

export interface Timed {
  id: string;
  /** Epoch ms of the change (modification or archiving). */
  at: number;
}

/**
 * Given search results sorted ascending from `GTE cursor.t`, the ones not applied yet and the
 * cursor after them.
 */
export function advanceModified<T extends Timed>(cursor: ModifiedCursor, ascending: readonly T[]): { fresh: T[]; cursor: ModifiedCursor } {
  const applied = new Set(cursor.ids);
  const fresh = ascending.filter((o) => o.at > cursor.t || (o.at === cursor.t && !applied.has(o.id)));
  if (fresh.length === 0) return { fresh, cursor };
  const t = Math.max(...fresh.map((o) => o.at));
  const ids = new Set(t === cursor.t ? cursor.ids : []);
  for (const o of fresh) if (o.at === t) ids.add(o.id);
  return { fresh, cursor: { t, ids: [...ids] } };
}

/**
 * One page of an archived scan: the tombstones to report and the cursor after the page. An object
 * without an archiving time (`at` null) is reported every scan rather than risk missing it.
 */
export function advanceArchived<T extends { id: string; at: number | null }>(cursor: ArchivedCursor, page: readonly T[], nextAfter: string | null): { reported: T[]; cursor: ArchivedCursor } {
  const reported = page.filter((o) => o.at === null || o.at >= cursor.threshold);
  const scanMax = Math.max(cursor.scanMax, ...page.map((o) => o.at ?? 0));
  if (nextAfter !== null) return { reported, cursor: { ...cursor, scanMax, after: nextAfter } };
  return { reported, cursor: { threshold: cursor.lastMax, lastMax: Math.max(cursor.lastMax, scanMax), scanMax: 0, after: null } };
}
