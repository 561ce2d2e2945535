/**
 * The `jira:project` and `jira:user` changes cursor: these endpoints have no updated-since filter,
 * so every RELIST_EVERY_POLLS polls the collection is listed again (both are small) and a content
 * fingerprint per id is compared with the one applied; ids no longer listed are gone.
 */

import { createHash } from 'node:crypto';

export function fingerprint(data: Record<string, unknown>): string {
  return createHash('sha1').update(JSON.stringify(data)).digest('base64url').slice(0, 12);
}

/** Polls between two re-listings (as for issue id reconciliation, the period follows the poll interval). */
export const RELIST_EVERY_POLLS = 3;

export interface ListingCursor {
  /** Object id → fingerprint of the state applied. */
  fp: Record<string, string>;
  /** Polls since the last re-listing. */
  polls: number;
}

export function encodeListingCursor(cursor: ListingCursor): string {
  return JSON.stringify({ v: 1, fp: cursor.fp, polls: cursor.polls });
}

export function decodeListingCursor(raw: string): ListingCursor {
  const parsed = JSON.parse(raw) as { v?: unknown; fp?: unknown; polls?: unknown };
  if (parsed.v !== 1 || !parsed.fp || typeof parsed.fp !== 'object') throw new Error(`malformed Jira listing changes cursor: ${raw.slice(0, 200)}`);
  const fp = Object.fromEntries(Object.entries(parsed.fp as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { fp, polls: typeof parsed.polls === 'number' ? parsed.polls : 0 };
}

/** What a re-listing changed against the applied fingerprints. */
export function diffListing<T>(applied: Record<string, string>, listed: ReadonlyArray<{ id: string; item: T; fingerprint: string }>): { changed: T[]; gone: string[]; next: Record<string, string> } {
  const next: Record<string, string> = {};
  const changed: T[] = [];
  for (const { id, item, fingerprint: fp } of listed) {
    if (applied[id] !== fp) changed.push(item);
    next[id] = fp;
  }
  const gone = Object.keys(applied).filter((id) => !(id in next));
  return { changed, gone, next };
}
