/**
 * Changes and deletes. GitHub has no change or delete feed in its REST API, so:
 *
 * - Repositories: every poll lists `/user/repos` in full (⌈repositories/100⌉ requests) and hands
 *   on the repositories whose JSON changed since the last poll (fingerprints in the cursor), and
 *   tombstones for those no longer listed (deleted, or the token lost access). Comparing content
 *   rather than `updated_at`/`pushed_at` also catches counters (`open_issues_count`,
 *   `stargazers_count`…) that GitHub changes without touching either time.
 * - Issues / pull requests: every poll reads, per repository, what changed since the cursor's
 *   second (`/issues?since=` ascending; `/pulls` has no `since`, so updated-descending pages
 *   until they reach older objects): one request per repository and poll when little changed.
 *   The next `since` is GitHub's clock at the start of the poll minus an overlap, so nothing
 *   written during the poll is skipped; objects re-read in the overlap are not handed on again
 *   unless their JSON changed (fingerprints in the cursor).
 * - Repositories new to the scan (created, or shared with the token, after the backfill began)
 *   are listed in full, and so is every repository whose highest number is at most 100 (its whole
 *   listing is one page: the same one request as a scan). Larger repositories are read in full
 *   round robin: at least one a poll, more while their pages stay within a quarter of the poll's
 *   scan requests. In the issue listings, numbers between 1 and the highest known that it does not list are deleted
 *   issues (GitHub answers 410 for them); a repository whose `open_issues_count` dropped with
 *   nothing closed in its scan is read in full at once (an open issue was deleted). A repository the token no longer sees tombstones its
 *   issues / pull requests `<id>#1 … <id>#<highest number>` (the engine drops tombstones of ids it
 *   never stored).
 *
 * The sync's status counts the issues' round-robin full reads and the reads after a drop of
 * `open_issues_count` as delete detection (request-purpose.ts); the scans, the one-page reads
 * of small or new repositories, the repository listing and the pull requests' round-robin
 * reads (pull requests cannot be deleted: those reads find no deletes) are the change feed.
 */

import type { ChangesPage, UpstreamObject } from '../provider.ts';
import { RepositoryUnavailable, type GitHubClient, type GitHubObject } from './client.ts';
import { decodeRepoChanges, decodeScanChanges, encode, type RepoChangesCursor, type ScanChangesCursor } from './cursors.ts';
import { fullListing, highestNumber, listAllRepos, PER_PAGE, type ScopedKind } from './listings.ts';
import { detectingDeletes } from '../request-purpose.ts';
import { fingerprint, issueUpstreamId, liveObject, numberOf, oldestFirst, repoRef, secondsOf, tombstone, type RepoRef } from './objects.ts';

/** Seconds re-read by every scan before the poll's start: GitHub's servers' clocks and writes in flight. */
export const SCAN_OVERLAP_SECONDS = 10;

// ---- repositories

export async function initialRepositoryCursor(client: GitHubClient): Promise<string> {
  // Empty fingerprints: the first poll hands on every repository once (the engine drops the
  // unchanged ones), which also covers any the backfill's pages skipped while they shifted.
  const { repos } = await listAllRepos(client);
  const known: RepoChangesCursor['repos'] = {};
  for (const repo of repos.map(repoRef)) known[String(repo.id)] = ['', repo.fullName];
  return encode({ repos: known });
}

export async function repositoryChanges(client: GitHubClient, raw: string): Promise<ChangesPage> {
  const cursor = decodeRepoChanges(raw);
  const { repos } = await listAllRepos(client);
  const next: RepoChangesCursor['repos'] = {};
  const objects: UpstreamObject[] = [];
  for (const repo of repos) {
    const ref = repoRef(repo);
    const id = String(ref.id);
    const print = fingerprint(repo);
    next[id] = [print, ref.fullName];
    if (cursor.repos[id]?.[0] !== print) objects.push(liveObject(id, repo));
  }
  for (const [id, [, fullName]] of Object.entries(cursor.repos)) {
    if (!(id in next)) objects.push(tombstone(id, { id: Number(id), full_name: fullName }));
  }
  return { objects: oldestFirst(objects), cursor: encode({ repos: next }), hasMore: false };
}

// ---- issues and pull requests

export async function initialScanCursor(client: GitHubClient, kind: ScopedKind): Promise<string> {
  const { repos, serverTime } = await listAllRepos(client);
  const known: ScanChangesCursor['repos'] = {};
  // The highest number of each repository now, so that one vanishing before a full read of its
  // listing still tombstones its objects.
  for (const repo of repos) {
    const ref = repoRef(repo);
    known[String(ref.id)] = [ref.fullName, await highestNumber(client, kind, ref), typeof repo.open_issues_count === 'number' ? repo.open_issues_count : -1];
  }
  return encode({ t: startOf(serverTime, 0), seen: {}, repos: known, rr: 0 });
}

const startOf = (serverTime: number | null, previous: number): number =>
  serverTime === null ? previous : Math.max(previous, serverTime - SCAN_OVERLAP_SECONDS);

export async function scanChanges(client: GitHubClient, kind: ScopedKind, raw: string, apiBase: string): Promise<ChangesPage> {
  const cursor = decodeScanChanges(raw);
  const { repos, serverTime } = await listAllRepos(client);
  const refs = repos.map(repoRef).sort((a, b) => a.id - b.id);
  const openCount = new Map(repos.map((repo) => [repoRef(repo).id, typeof repo.open_issues_count === 'number' ? repo.open_issues_count : -1]));
  const openOf = (ref: RepoRef): number => openCount.get(ref.id) ?? -1;
  const nextT = startOf(serverTime, cursor.t);
  /** About when the last poll listed the repositories (its `t` is that minus the overlap). */
  const lastPollStart = cursor.t + SCAN_OVERLAP_SECONDS;
  const seen: Record<string, string> = {};
  const known: ScanChangesCursor['repos'] = {};
  const objects: UpstreamObject[] = [];

  const handOn = (ref: RepoRef, item: GitHubObject): void => {
    const id = issueUpstreamId(ref.id, numberOf(item));
    const print = fingerprint(item);
    if ((secondsOf(item, 'updated_at') ?? 0) >= nextT) seen[id] = print;
    if (cursor.seen[id] !== print) objects.push(liveObject(id, item));
  };
  const gone = (ref: RepoRef, number: number): UpstreamObject =>
    tombstone(issueUpstreamId(ref.id, number), { number, repository_url: `${apiBase}/repos/${ref.fullName}` });

  /** Reads a repository's listing in full: hands on all of it, tombstones the missing numbers (known repositories only). Answers the pages read. */
  const reconcile = async (ref: RepoRef): Promise<number> => {
    const id = String(ref.id);
    const before = cursor.repos[id];
    let highest = before?.[1] ?? 0;
    const items = await fullListing(client, kind, ref);
    if (items) {
      const listed = new Set<number>();
      for (const item of items) {
        listed.add(numberOf(item));
        highest = Math.max(highest, numberOf(item));
        if (kind.belongs(item)) handOn(ref, item);
      }
      if (before && kind.gapsAreDeletes) for (let n = 1; n <= highest; n++) if (!listed.has(n)) objects.push(gone(ref, n));
    }
    known[id] = [ref.fullName, highest, openOf(ref)];
    return Math.max(1, Math.ceil((items?.length ?? 0) / PER_PAGE));
  };

  // Round robin over the known repositories of more than one page: at least one a poll, more
  // while their pages stay within a quarter of what the poll's scans cost (one request per
  // repository).
  const budget = Math.max(1, Math.ceil(refs.length / 4));
  let pages = 0;
  let rr = cursor.rr;
  for (const ref of roundRobin(refs, cursor)) {
    if (pages >= budget) break;
    rr = ref.id;
    if (String(ref.id) in known) continue;
    // The scans below see every change but no deleted issue: the issues' full reads are there to find them.
    pages += await (kind.gapsAreDeletes ? detectingDeletes(() => reconcile(ref)) : reconcile(ref));
  }
  for (const ref of refs) {
    const id = String(ref.id);
    if (id in known) continue; // reconciled above
    const before = cursor.repos[id];
    // New to the scan, or small enough that its whole listing is one page: a full read costs
    // the same single request as a scan and also shows deletes.
    if (!before || before[1] <= PER_PAGE) {
      await reconcile(ref);
      continue;
    }
    let highest = before[1];
    let closedSeen = false;
    try {
      for (const item of await kind.changedSince(client, ref, cursor.t)) {
        highest = Math.max(highest, numberOf(item));
        if (item.state === 'closed' && (secondsOf(item, 'closed_at') ?? 0) >= lastPollStart) closedSeen = true;
        if (kind.belongs(item)) handOn(ref, item);
      }
    } catch (error) {
      if (!(error instanceof RepositoryUnavailable)) throw error;
    }
    known[id] = [ref.fullName, highest, openOf(ref)];
    // Fewer open issues (`open_issues_count` counts pull requests too) with none closed since the
    // last poll: an open issue was deleted or transferred. Read the repository in full now.
    if (kind.gapsAreDeletes && before[2] >= 0 && openOf(ref) < before[2] && !closedSeen) await detectingDeletes(() => reconcile(ref));
  }
  for (const [id, [fullName, highest]] of Object.entries(cursor.repos)) {
    if (id in known) continue;
    const ref = { id: Number(id), fullName };
    for (let n = 1; n <= highest; n++) objects.push(gone(ref, n));
  }
  const next: ScanChangesCursor = { t: nextT, seen, repos: known, rr };
  return { objects: oldestFirst(objects), cursor: encode(next), hasMore: false };
}

/** The known repositories of more than one page, by id, starting after the one reconciled last and wrapping around. */
function roundRobin(refs: RepoRef[], cursor: ScanChangesCursor): RepoRef[] {
  const known = refs.filter((r) => (cursor.repos[String(r.id)]?.[1] ?? 0) > PER_PAGE);
  const at = known.findIndex((r) => r.id > cursor.rr);
  return at <= 0 ? known : [...known.slice(at), ...known.slice(0, at)];
}
