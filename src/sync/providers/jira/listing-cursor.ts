/**
 * The `jira:project` and `jira:user` changes cursor: these endpoints have no updated-since filter,
 * so every RELIST_EVERY_POLLS polls the collection is listed again (both are small) and a content
 * fingerprint per id is compared with the one applied; ids no longer listed are gone.
 */

import { createHash } from 'node:crypto';

export function fingerprint(data: Record<string, unknown>): string {
  return createHash('sha1').update(JSON.stringify(data)).digest('base64url').slice(0, 12);
}

/** A session lists the collection again on every this-many polls (the period follows the poll interval; the session counts). */
export const RELIST_EVERY_POLLS = 3;

export function encodeListingCursor(fingerprints: Record<string, string>): string {
  return JSON.stringify({ v: 1, fp: fingerprints });
}

/** Object id → fingerprint of the state applied. */
export function decodeListingCursor(raw: string): Record<string, string> {
  const parsed = JSON.parse(raw) as { v?: unknown; fp?: unknown };
  if (parsed.v !== 1 || !parsed.fp || typeof parsed.fp !== 'object') throw new Error(`malformed Jira listing changes cursor: ${raw.slice(0, 200)}`);
  return Object.fromEntries(Object.entries(parsed.fp as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
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
