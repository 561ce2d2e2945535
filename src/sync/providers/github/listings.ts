/**
 * The GitHub listings the collections read: the token's repositories, and per repository its
 * issues (the issues endpoint also answers pull requests, with a `pull_request` key) or its pull
 * requests.
 */

import { RepositoryUnavailable, type GitHubClient, type GitHubObject, type GitHubPage } from './client.ts';
import { isoSeconds, numberOf, repoRef, secondsOf, type RepoRef } from './objects.ts';

export const PER_PAGE = 100;

/** Every repository the token sees: owned, collaborator, and through organization membership. */
export const REPO_LIST_ROUTE = 'GET /user/repos';
export const REPO_LIST_PARAMS = { per_page: PER_PAGE, sort: 'full_name', direction: 'asc', affiliation: 'owner,collaborator,organization_member' } as const;

export interface RepoListing {
  repos: GitHubObject[];
  /** GitHub's clock at the first page (epoch seconds), null when it sent no `Date`. */
  serverTime: number | null;
}

export async function listAllRepos(client: GitHubClient): Promise<RepoListing> {
  const repos: GitHubObject[] = [];
  let page = await client.page(REPO_LIST_ROUTE, REPO_LIST_PARAMS);
  const serverTime = page.serverTime;
  for (;;) {
    repos.push(...page.items);
    if (!page.next) return { repos, serverTime };
    page = await client.page({ url: page.next });
  }
}

/** Lower-cased full name: the order repository-spanning backfills walk the repositories in. */
export const repoOrderKey = (ref: RepoRef): string => ref.fullName.toLowerCase();

export function sortedRefs(repos: GitHubObject[]): RepoRef[] {
  return repos.map(repoRef).sort((a, b) => (repoOrderKey(a) < repoOrderKey(b) ? -1 : repoOrderKey(a) > repoOrderKey(b) ? 1 : a.id - b.id));
}

export const splitFullName = (fullName: string): { owner: string; repo: string } => {
  const slash = fullName.indexOf('/');
  return { owner: fullName.slice(0, slash), repo: fullName.slice(slash + 1) };
};

/** What differs between the issue and the pull request collections. */
export interface ScopedKind {
  collectionId: 'github:issue' | 'github:pull_request';
  route: string;
  /** Whether a listed item belongs to the collection (issues: not a pull request). */
  belongs(item: GitHubObject): boolean;
  /** Numbers missing from a full listing are deleted objects (issues: yes; pull requests cannot be deleted). */
  gapsAreDeletes: boolean;
  /** Every item changed at or after second `t`, any order. */
  changedSince(client: GitHubClient, repo: RepoRef, t: number): Promise<GitHubObject[]>;
}

async function allPages(client: GitHubClient, first: () => Promise<GitHubPage>, stop: (page: GitHubPage) => boolean = () => false): Promise<GitHubObject[]> {
  const items: GitHubObject[] = [];
  let page = await first();
  for (;;) {
    items.push(...page.items);
    if (!page.next || stop(page)) return items;
    page = await client.repoPage({ url: page.next });
  }
}

export const issueKind: ScopedKind = {
  collectionId: 'github:issue',
  route: 'GET /repos/{owner}/{repo}/issues',
  belongs: (item) => !('pull_request' in item),
  gapsAreDeletes: true,
  changedSince: (client, repo, t) =>
    allPages(client, () => client.repoPage(issueKind.route, { ...splitFullName(repo.fullName), state: 'all', per_page: PER_PAGE, sort: 'updated', direction: 'asc', since: isoSeconds(t) })),
};

export const pullRequestKind: ScopedKind = {
  collectionId: 'github:pull_request',
  route: 'GET /repos/{owner}/{repo}/pulls',
  belongs: () => true,
  gapsAreDeletes: false,
  // The pulls endpoint has no `since`: newest updates first, until a page reaches older ones.
  changedSince: async (client, repo, t) => {
    const items = await allPages(
      client,
      () => client.repoPage(pullRequestKind.route, { ...splitFullName(repo.fullName), state: 'all', per_page: PER_PAGE, sort: 'updated', direction: 'desc' }),
      (page) => page.items.some((item) => (secondsOf(item, 'updated_at') ?? 0) < t),
    );
    return items.filter((item) => (secondsOf(item, 'updated_at') ?? 0) >= t);
  },
};

export const scopedKinds = new Map<string, ScopedKind>([issueKind, pullRequestKind].map((k) => [k.collectionId, k]));

/** First page of a repository's full listing, oldest first (new objects land on the last pages). */
export function firstFullPage(client: GitHubClient, kind: ScopedKind, repo: RepoRef): Promise<GitHubPage> {
  return client.repoPage(kind.route, { ...splitFullName(repo.fullName), state: 'all', per_page: PER_PAGE, sort: 'created', direction: 'asc' });
}

/** Every item of a repository's listing, or null when the repository has nothing to list now (gone, disabled, refused). */
export async function fullListing(client: GitHubClient, kind: ScopedKind, repo: RepoRef): Promise<GitHubObject[] | null> {
  try {
    return await allPages(client, () => firstFullPage(client, kind, repo));
  } catch (error) {
    if (error instanceof RepositoryUnavailable) return null;
    throw error;
  }
}

/** The highest number of a repository's listing (one request), 0 when it has none. */
export async function highestNumber(client: GitHubClient, kind: ScopedKind, repo: RepoRef): Promise<number> {
  try {
    const page = await client.repoPage(kind.route, { ...splitFullName(repo.fullName), state: 'all', per_page: 1, sort: 'created', direction: 'desc' });
    return page.items[0] ? numberOf(page.items[0]) : 0;
  } catch (error) {
    if (error instanceof RepositoryUnavailable) return 0;
    throw error;
  }
}
