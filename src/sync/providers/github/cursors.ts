/**
 * The GitHub provider's cursors (JSON strings stored by the engine).
 *
 * Backfill: `{u}` (the next `/user/repos` page) for repositories; `{r, id, u}` for issues and pull
 * requests — the repository being listed (full name and id) and its next page URL (null: its
 * first page) — so a listing spanning many repositories resumes where it was after a restart.
 *
 * Changes of repositories: `{repos: {id: [fingerprint, full_name]}}` — every repository the last
 * poll saw and a hash of its JSON.
 *
 * Changes of issues / pull requests: `{t, seen, repos, rr}` — `t` the second (GitHub's clock)
 * the next scan starts from (`since=t`, inclusive), `seen` the fingerprints of the objects
 * already handed on whose `updated_at` is ≥ t (a second re-read is not applied twice, a change
 * within the same second still is), `repos` the known repositories with their highest number and open count,
 * `rr` the repository reconciled last (round robin).
 */

export interface RepoBackfillCursor {
  u: string;
}

export interface ScopedBackfillCursor {
  r: string;
  id: number;
  u: string | null;
}

export interface RepoChangesCursor {
  repos: Record<string, [string, string]>;
}

export interface ScanChangesCursor {
  t: number;
  seen: Record<string, string>;
  /** Repository id → [full name, highest issue/pull request number seen, its `open_issues_count` (-1: unknown)]. */
  repos: Record<string, [string, number, number]>;
  rr: number;
}

const malformed = (kind: string, raw: string): Error => new Error(`malformed GitHub ${kind} cursor: ${raw.slice(0, 200)}`);

function parse(kind: string, raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw malformed(kind, raw);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed(kind, raw);
  return parsed as Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function decodeRepoBackfill(raw: string): RepoBackfillCursor {
  const c = parse('backfill', raw);
  if (typeof c.u !== 'string') throw malformed('backfill', raw);
  return { u: c.u };
}

export function decodeScopedBackfill(raw: string): ScopedBackfillCursor {
  const c = parse('backfill', raw);
  if (typeof c.r !== 'string' || typeof c.id !== 'number' || !(c.u === null || typeof c.u === 'string')) throw malformed('backfill', raw);
  return { r: c.r, id: c.id, u: c.u };
}

export function decodeRepoChanges(raw: string): RepoChangesCursor {
  const c = parse('changes', raw);
  if (!isRecord(c.repos)) throw malformed('changes', raw);
  const repos: RepoChangesCursor['repos'] = {};
  for (const [id, entry] of Object.entries(c.repos)) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string') throw malformed('changes', raw);
    repos[id] = [entry[0], entry[1]];
  }
  return { repos };
}

export function decodeScanChanges(raw: string): ScanChangesCursor {
  const c = parse('changes', raw);
  if (typeof c.t !== 'number' || !isRecord(c.seen) || !isRecord(c.repos) || typeof c.rr !== 'number') throw malformed('changes', raw);
  const seen: Record<string, string> = {};
  for (const [id, hash] of Object.entries(c.seen)) if (typeof hash === 'string') seen[id] = hash;
  const repos: ScanChangesCursor['repos'] = {};
  for (const [id, entry] of Object.entries(c.repos)) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') throw malformed('changes', raw);
    repos[id] = [entry[0], entry[1], typeof entry[2] === 'number' ? entry[2] : -1];
  }
  return { t: c.t, seen, repos, rr: c.rr };
}

export const encode = (cursor: RepoBackfillCursor | ScopedBackfillCursor | RepoChangesCursor | ScanChangesCursor): string => JSON.stringify(cursor);
