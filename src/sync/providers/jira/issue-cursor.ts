/**
 * The `jira:issue` changes cursor.
 * - Updates: JQL `updated >= "<minute>"` has minute precision, so the cursor keeps the newest
 *   `updated` applied (`u`, ms) and the (id → updated ms) pairs applied since that minute began
 *   (`seen`): each poll re-reads from the minute of `u` and skips the pairs it applied, so ties
 *   within a minute are neither lost nor applied over and over.
 * - Deletes: Jira has no deleted feed. The cursor keeps the ids the sync knows (`known`, as id
 *   runs); every RECONCILE_EVERY_POLLS polls of a session a JQL id listing answers which known
 *   ids are gone. The session counts the polls, so a quiet poll leaves the cursor as it was (no
 *   checkpoint is written for it).
 */

import { decodeIds, encodeIds, type EncodedIdSet } from './id-set.ts';
import { floorMinute } from './time.ts';

/** A session lists every issue id on every this-many polls (so the period follows the sync's poll interval). */
export const RECONCILE_EVERY_POLLS = 3;

export interface IssueCursor {
  u: number;
  seen: Record<string, number>;
  known: Set<string>;
}

export function encodeIssueCursor(cursor: IssueCursor): string {
  const known: EncodedIdSet = encodeIds(cursor.known);
  return JSON.stringify({ v: 1, u: cursor.u, seen: cursor.seen, known });
}

export function decodeIssueCursor(raw: string): IssueCursor {
  const parsed = JSON.parse(raw) as { v?: unknown; u?: unknown; seen?: unknown; known?: { runs?: unknown; other?: unknown } };
  const known = parsed.known;
  if (parsed.v !== 1 || typeof parsed.u !== 'number' || !parsed.seen || typeof parsed.seen !== 'object' || !known || typeof known.runs !== 'string' || !Array.isArray(known.other)) {
    throw new Error(`malformed Jira issue changes cursor: ${raw.slice(0, 200)}`);
  }
  const seen = Object.fromEntries(Object.entries(parsed.seen as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'));
  return { u: parsed.u, seen, known: decodeIds({ runs: known.runs, other: known.other.map(String) }) };
}

export interface Listed<T> {
  id: string;
  /** Unix ms of its `updated`. */
  at: number;
  item: T;
}

/**
 * true when the search answered a version of the issue the cursor has not applied. Versions older
 * than the cursor's minute were answered by earlier polls (a site that reads the JQL date earlier
 * than meant answers them again).
 */
export const isFresh = (cursor: Pick<IssueCursor, 'u' | 'seen'>, listed: Listed<unknown>): boolean => {
  if (listed.at < floorMinute(cursor.u)) return false;
  const applied = cursor.seen[listed.id];
  return applied === undefined || listed.at > applied;
};

/** The listed issues not applied yet (oldest first) and the update half of the next cursor. */
export function advanceUpdates<T>(cursor: Pick<IssueCursor, 'u' | 'seen'>, listed: readonly Listed<T>[]): { fresh: Listed<T>[]; u: number; seen: Record<string, number> } {
  const fresh = listed.filter((l) => isFresh(cursor, l)).sort((a, b) => a.at - b.at);
  const u = Math.max(cursor.u, ...listed.map((l) => l.at));
  const from = floorMinute(u);
  const seen: Record<string, number> = {};
  for (const [id, at] of Object.entries(cursor.seen)) if (at >= from) seen[id] = at;
  for (const l of fresh) if (l.at >= from) seen[l.id] = Math.max(seen[l.id] ?? 0, l.at);
  return { fresh, u, seen };
}
