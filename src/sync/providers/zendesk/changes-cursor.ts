/**
 * One changes cursor per collection, in one of three states:
 * - `{s}`: a start time not exported yet (the initial cursor: "now" less a margin, since Zendesk
 *   refuses a start_time younger than a minute and leaves the last minute out of every export);
 * - `{c}`: the last `after_cursor` of a cursor-based export (tickets, users): the next export
 *   resumes exactly there, no duplicates;
 * - `{t, seen}`: the last `end_time` of the time-based organization export. Zendesk's next page
 *   starts at `end_time` inclusive, so the objects of that second come again: the cursor keeps a
 *   fingerprint of each object applied at second `t` and skips them unless they changed.
 */

import { createHash } from 'node:crypto';

export type ChangesCursor = { s: number } | { c: string } | { t: number; seen: Record<string, string> };

export function encodeChangesCursor(cursor: ChangesCursor): string {
  return JSON.stringify({ v: 1, ...cursor });
}

export function decodeChangesCursor(raw: string): ChangesCursor {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    // refused below
  }
  if (parsed.v === 1 && typeof parsed.s === 'number') return { s: parsed.s };
  if (parsed.v === 1 && typeof parsed.c === 'string') return { c: parsed.c };
  if (parsed.v === 1 && typeof parsed.t === 'number' && parsed.seen && typeof parsed.seen === 'object') {
    const seen = Object.fromEntries(Object.entries(parsed.seen).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    return { t: parsed.t, seen };
  }
  throw new Error(`malformed Zendesk changes cursor: ${raw}`);
}

export function fingerprint(data: Record<string, unknown>): string {
  return createHash('sha1').update(JSON.stringify(data)).digest('base64url').slice(0, 16);
}

export interface Exported<T> {
  id: string;
  /** Unix seconds of its change (`updated_at`). */
  at: number;
  item: T;
}

/**
 * The objects of a time-based page not applied yet (export order), and the next `{t, seen}`.
 * `endTime` is the page's `end_time`; when a page that is not the last ends in its own start
 * second (more objects in one second than a page holds) the cursor moves one second on.
 */
export function advanceTimeCursor<T extends Record<string, unknown>>(
  cursor: { t: number; seen: Record<string, string> },
  listed: readonly Exported<T>[],
  endTime: number,
  endOfStream: boolean,
): { fresh: Exported<T>[]; t: number; seen: Record<string, string> } {
  const fresh = listed.filter((o) => o.at > cursor.t || (o.at === cursor.t && cursor.seen[o.id] !== fingerprint(o.item)));
  let t = Math.max(cursor.t, endTime, ...listed.map((o) => o.at));
  if (!endOfStream && t === cursor.t) t = cursor.t + 1;
  const seen: Record<string, string> = t === cursor.t ? { ...cursor.seen } : {};
  for (const o of listed) if (o.at === t) seen[o.id] = fingerprint(o.item);
  return { fresh, t, seen };
}
