/**
 * The changes cursor over Stripe's events feed. Stripe lists events newest first with whole-second
 * `created` times, so the cursor keeps the newest second seen and the ids of the events of that
 * second: the next poll asks for `created[gte]` that second and skips the ids it already applied.
 * An empty feed starts at 0, which needs no clock agreement with Stripe.
 */
export interface EventsCursor {
  /** Unix seconds of the newest event applied. */
  t: number;
  /** Ids of the applied events created in second `t` (empty once `last` is known). */
  ids: string[];
  /**
   * The newest event applied: every older event of the feed is applied, so the next page is the
   * one just newer than it (`ending_before`), in the feed's own order. Absent in cursors written
   * before it existed and when the feed was empty: those page from `created[gte]=t`.
   */
  last?: string;
  /**
   * Unix seconds (Syncline's clock) when the feed was last read to its end, refreshed at most daily:
   * no event older than 30 days was missed while it is recent, even if `last` itself has aged out.
   */
  seen?: number;
}

export interface FeedEvent {
  id: string;
  created: number;
}

export function encodeEventsCursor(cursor: EventsCursor): string {
  return JSON.stringify(cursor);
}

export function decodeEventsCursor(raw: string): EventsCursor {
  const parsed = JSON.parse(raw) as Partial<EventsCursor>;
  if (typeof parsed.t !== 'number' || !Array.isArray(parsed.ids)) throw new Error(`malformed Stripe events cursor: ${raw}`);
  const ids = parsed.ids.filter((id): id is string => typeof id === 'string');
  return { t: parsed.t, ids, ...(typeof parsed.last === 'string' ? { last: parsed.last } : {}), ...(typeof parsed.seen === 'number' ? { seen: parsed.seen } : {}) };
}

/**
 * Given the feed as Stripe listed it (newest first) from `created[gte]=cursor.t`, returns the
 * events not applied yet, oldest first, and the cursor after them.
 */
export function advanceEventsCursor<E extends FeedEvent>(cursor: EventsCursor, newestFirst: readonly E[]): { fresh: E[]; cursor: EventsCursor } {
  const applied = new Set(cursor.ids);
  const fresh = newestFirst.filter((e) => !(e.created === cursor.t && applied.has(e.id)) && e.created >= cursor.t).reverse();
  // A stable sort keeps Stripe's order among events of the same second.
  fresh.sort((a, b) => a.created - b.created);
  if (fresh.length === 0) return { fresh, cursor };
  const t = fresh[fresh.length - 1]!.created;
  const ids = new Set(t === cursor.t ? cursor.ids : []);
  for (const e of fresh) if (e.created === t) ids.add(e.id);
  return { fresh, cursor: { t, ids: [...ids], ...(cursor.last ? { last: cursor.last } : {}) } };
}

/**
 * The cursor after a page of the feed (newest first) was applied: its newest event becomes `last`
 * (the next page is the one just newer), and the ids of second `t` are no longer needed. A page
 * whose newest event is older than the cursor (a feed going backwards) moves nothing.
 */
export function afterPage<E extends FeedEvent>(cursor: EventsCursor, newestFirst: readonly E[]): { fresh: E[]; cursor: EventsCursor } {
  const advanced = advanceEventsCursor(cursor, newestFirst);
  const newest = newestFirst[0];
  if (!newest || newest.created < cursor.t) return advanced;
  return { fresh: advanced.fresh, cursor: { t: Math.max(advanced.cursor.t, cursor.t), ids: [], last: newest.id } };
}
