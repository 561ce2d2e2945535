/**
 * One changes cursor per collection, over two Shopify feeds:
 * - updates: `updated_at:>='<u>'` listings. Times have whole seconds, so the cursor keeps the
 *   newest second applied (`u`) and a fingerprint of each object applied at that second: the next
 *   poll re-reads from `u` (the filter is inclusive) and skips what it already applied, so ties
 *   are neither lost nor replayed forever, and a second edit within the same second still counts.
 *   Once Shopify's clock at a poll (`t`) is TIE_SETTLE_S past `u`, no write can still land at
 *   second `u`: the next poll reads `updated_at:>'<u>'` and does not pay for the ties again.
 * - deletes: `events(query: "action:destroy …")` from `e - EVENT_WINDOW_S`. Shopify says events may
 *   show up a little late, so the poll looks back a window and skips the event ids it applied (`ev`).
 */

import { createHash } from 'node:crypto';

/** How far back each poll re-reads destroy events (Shopify: events may appear seconds late). */
export const EVENT_WINDOW_S = 60;
/** Seconds after which no write lands at an earlier `updated_at` second. */
export const TIE_SETTLE_S = 5;

export interface ChangesCursor {
  /** Unix seconds of the newest `updated_at` applied. */
  u: number;
  /** Object id → fingerprint of its applied state, for the objects applied at second `u`. */
  seen: Record<string, string>;
  /** Unix seconds of the newest destroy event applied (or of the start). */
  e: number;
  /** [event id, created second] of the destroy events applied within the window before `e`. */
  ev: Array<[string, number]>;
  /** Unix seconds of Shopify's clock at the last poll (absent in cursors written before it was kept). */
  t?: number;
}

export function encodeChangesCursor(cursor: ChangesCursor): string {
  return JSON.stringify({ v: 1, ...cursor });
}

export function decodeChangesCursor(raw: string): ChangesCursor {
  const parsed = JSON.parse(raw) as Partial<ChangesCursor> & { v?: unknown };
  if (parsed.v !== 1 || typeof parsed.u !== 'number' || typeof parsed.e !== 'number' || !parsed.seen || typeof parsed.seen !== 'object' || !Array.isArray(parsed.ev)) {
    throw new Error(`malformed Shopify changes cursor: ${raw}`);
  }
  const seen = Object.fromEntries(Object.entries(parsed.seen).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  const ev = parsed.ev.filter((pair): pair is [string, number] => Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'number');
  return { u: parsed.u, seen, e: parsed.e, ev, ...(typeof parsed.t === 'number' ? { t: parsed.t } : {}) };
}

/** The `updated_at` term of the next poll: inclusive while writes may still land at second `u`. */
export function updatedSinceTerm(cursor: Pick<ChangesCursor, 'u' | 't'>): string {
  const settled = cursor.t !== undefined && cursor.t >= cursor.u + TIE_SETTLE_S;
  return `updated_at:${settled ? '>' : '>='}'${new Date(cursor.u * 1000).toISOString().replace('.000Z', 'Z')}'`;
}

export function fingerprint(data: Record<string, unknown>): string {
  return createHash('sha1').update(JSON.stringify(data)).digest('base64url').slice(0, 16);
}

export interface Changed<T> {
  id: string;
  /** Unix seconds of its `updated_at` / `created_at`. */
  at: number;
  fingerprint: string;
  item: T;
}

const byTime = <T extends { at: number; id: string }>(a: T, b: T): number => a.at - b.at || compareIds(a.id, b.id);

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The listed objects not applied yet (oldest first), and the update half of the next cursor. */
export function advanceUpdates<T>(cursor: Pick<ChangesCursor, 'u' | 'seen'>, listed: readonly Changed<T>[]): { fresh: Changed<T>[]; u: number; seen: Record<string, string> } {
  const fresh = listed.filter((o) => o.at > cursor.u || (o.at === cursor.u && cursor.seen[o.id] !== o.fingerprint)).sort(byTime);
  const u = Math.max(cursor.u, ...listed.map((o) => o.at));
  const seen: Record<string, string> = u === cursor.u ? { ...cursor.seen } : {};
  for (const o of listed) if (o.at === u) seen[o.id] = o.fingerprint;
  return { fresh, u, seen };
}

/** The destroy events not applied yet (oldest first), and the delete half of the next cursor. */
export function advanceDeletes<T>(cursor: Pick<ChangesCursor, 'e' | 'ev'>, events: readonly Omit<Changed<T>, 'fingerprint'>[]): { fresh: Omit<Changed<T>, 'fingerprint'>[]; e: number; ev: Array<[string, number]> } {
  const applied = new Set(cursor.ev.map(([id]) => id));
  const fresh = events.filter((event) => !applied.has(event.id)).sort(byTime);
  const e = Math.max(cursor.e, ...events.map((event) => event.at));
  const ev = [...cursor.ev, ...fresh.map((event): [string, number] => [event.id, event.at])].filter(([, at]) => at >= e - EVENT_WINDOW_S);
  return { fresh, e, ev };
}
