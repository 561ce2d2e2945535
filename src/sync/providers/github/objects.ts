/**
 * Upstream ids and record shapes of the GitHub collections.
 *
 * - `github:repository`: the repository's numeric `id` as a decimal string (stable across
 *   renames and transfers; `GET /repositories/{id}` finds it again for writes).
 * - `github:issue` and `github:pull_request`: `<repository id>#<number>`. GitHub's REST API has
 *   no lookup of an issue by its own `id`, so writes need the repository and the number; and the
 *   numbers of a repository are dense (issues and pull requests share them), which is what lets
 *   deletes be found: a number missing from a full listing is a deleted issue, and the issues of
 *   a repository the token no longer sees are `<id>#1…<id>#<highest number>`.
 */

import { createHash } from 'node:crypto';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import type { UpstreamObject } from '../provider.ts';
import type { GitHubObject } from './client.ts';

export interface RepoRef {
  id: number;
  fullName: string;
}

export function repoRef(repo: GitHubObject): RepoRef {
  if (typeof repo.id !== 'number' || typeof repo.full_name !== 'string') throw new Error('GitHub answered a repository without id or full_name');
  return { id: repo.id, fullName: repo.full_name };
}

export const issueUpstreamId = (repoId: number | string, number: number): string => `${repoId}#${number}`;

export function parseIssueUpstreamId(upstreamId: string): { repoId: number; number: number } | null {
  const match = /^(\d+)#(\d+)$/.exec(upstreamId);
  return match ? { repoId: Number(match[1]), number: Number(match[2]) } : null;
}

export const numberOf = (item: GitHubObject): number => (typeof item.number === 'number' ? item.number : 0);

/** Epoch seconds of a GitHub timestamp field, or null. */
export function secondsOf(item: GitHubObject, field: string): number | null {
  const value = item[field];
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

export const isoSeconds = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A short content hash: changes cursors remember what they already handed on. */
export const fingerprint = (data: GitHubObject): string => createHash('sha256').update(canonicalJson(data) ?? 'null').digest('hex').slice(0, 12);

const dateOf = (item: GitHubObject, field: string): Date | null => {
  const s = secondsOf(item, field);
  return s === null ? null : new Date(s * 1000);
};

export function liveObject(upstreamId: string, data: GitHubObject): UpstreamObject {
  return { upstreamId, data, upstreamCreatedAt: dateOf(data, 'created_at'), upstreamUpdatedAt: dateOf(data, 'updated_at'), deleted: false };
}

/**
 * A tombstone for an object GitHub no longer shows. GitHub keeps nothing of a deleted
 * repository or issue, so `data` holds only what identifies it (GitHub's own field names): the
 * stream keeps the record's last full state instead (`partialTombstone`).
 */
export function tombstone(upstreamId: string, data: GitHubObject): UpstreamObject {
  return { upstreamId, data, upstreamCreatedAt: null, upstreamUpdatedAt: null, deleted: true, partialTombstone: true };
}

/** Oldest change first; tombstones (no change time) after the live objects. */
export function oldestFirst(objects: UpstreamObject[]): UpstreamObject[] {
  const time = (o: UpstreamObject) => o.upstreamUpdatedAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
  return objects.map((o, i) => ({ o, i })).sort((a, b) => time(a.o) - time(b.o) || a.i - b.i).map(({ o }) => o);
}
