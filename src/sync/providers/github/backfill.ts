/**
 * Backfill listings. Repositories: `/user/repos` page by page. Issues and pull requests: one
 * repository after the other (in lower-cased full-name order), each oldest first; the cursor
 * names the repository and its next page, so the walk resumes after a restart. Repositories that
 * appear after the walk passed their place are picked up by the changes scan (changes.ts).
 */

import type { ListPage } from '../provider.ts';
import { RepositoryUnavailable, type GitHubClient, type GitHubPage } from './client.ts';
import { decodeRepoBackfill, decodeScopedBackfill, encode, type ScopedBackfillCursor } from './cursors.ts';
import { firstFullPage, REPO_LIST_PARAMS, REPO_LIST_ROUTE, repoOrderKey, type ScopedKind } from './listings.ts';
import { issueUpstreamId, liveObject, numberOf, repoRef, type RepoRef } from './objects.ts';

export async function listRepositories(client: GitHubClient, raw: string | null): Promise<ListPage> {
  const page = raw === null ? await client.page(REPO_LIST_ROUTE, REPO_LIST_PARAMS) : await client.page({ url: decodeRepoBackfill(raw).u });
  return {
    objects: page.items.map((repo) => liveObject(String(repoRef(repo).id), repo)),
    nextCursor: page.next ? encode({ u: page.next }) : null,
    totalCount: null, // GitHub's listings carry no total
  };
}

export async function listScoped(client: GitHubClient, kind: ScopedKind, raw: string | null, repos: () => Promise<RepoRef[]>): Promise<ListPage> {
  let at: ScopedBackfillCursor;
  if (raw === null) {
    const first = (await repos())[0];
    if (!first) return { objects: [], nextCursor: null, totalCount: null };
    at = { r: first.fullName, id: first.id, u: null };
  } else {
    at = decodeScopedBackfill(raw);
  }
  let page: GitHubPage | null;
  try {
    page = at.u ? await client.repoPage({ url: at.u }) : await firstFullPage(client, kind, { id: at.id, fullName: at.r });
  } catch (error) {
    if (!(error instanceof RepositoryUnavailable)) throw error;
    page = null; // gone or closed since the walk began: nothing to list there
  }
  const objects = (page?.items ?? []).filter(kind.belongs).map((item) => liveObject(issueUpstreamId(at.id, numberOf(item)), item));
  let next: ScopedBackfillCursor | null = null;
  if (page?.next) {
    next = { ...at, u: page.next };
  } else {
    const current = at.r.toLowerCase();
    const following = (await repos()).find((ref) => repoOrderKey(ref) > current);
    if (following) next = { r: following.fullName, id: following.id, u: null };
  }
  return { objects, nextCursor: next ? encode(next) : null, totalCount: null };
}
