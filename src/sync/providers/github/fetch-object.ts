/**
 * One object read by its upstream id, for webhooks (ProviderSession.fetchObject): a repository by
 * `GET /repositories/{id}`, an issue or pull request by `GET /repos/{owner}/{repo}/issues|pulls/{number}`
 * (the repository's current name found from its id, remembered a minute).
 *
 * GitHub's single-object answers carry keys its listings do not (a pull request's `mergeable`,
 * `commits`…, an issue's `closed_by`, a repository's `network_count`…): they are dropped, so that
 * a webhook's read and a poll record the same version of an object once.
 */

import { UpstreamRequestError, type UpstreamObject } from '../provider.ts';
import type { GitHubClient, GitHubObject } from './client.ts';
import { splitFullName } from './listings.ts';
import { issueUpstreamId, liveObject, parseIssueUpstreamId, repoRef } from './objects.ts';

const REPOSITORY = 'github:repository';
const ISSUE = 'github:issue';

/** Keys of the single-object answers that the listings (what polls record) do not have. */
const DETAIL_ONLY: Readonly<Record<string, readonly string[]>> = {
  [REPOSITORY]: [
    'network_count',
    'subscribers_count',
    'organization',
    'parent',
    'source',
    'template_repository',
    'security_and_analysis',
    'custom_properties',
    'code_of_conduct',
    'anonymous_access_enabled',
    'allow_squash_merge',
    'allow_merge_commit',
    'allow_rebase_merge',
    'allow_auto_merge',
    'allow_update_branch',
    'delete_branch_on_merge',
    'use_squash_pr_title_as_default',
    'squash_merge_commit_title',
    'squash_merge_commit_message',
    'merge_commit_title',
    'merge_commit_message',
  ],
  [ISSUE]: ['closed_by'],
  'github:pull_request': ['merged', 'mergeable', 'rebaseable', 'mergeable_state', 'merged_by', 'comments', 'review_comments', 'maintainer_can_modify', 'commits', 'additions', 'deletions', 'changed_files'],
};

/** The object as the collection's listing shows it. */
export function listShape(collectionId: string, data: GitHubObject): GitHubObject {
  const drop = DETAIL_ONLY[collectionId] ?? [];
  return Object.fromEntries(Object.entries(data).filter(([key]) => !drop.includes(key)));
}

const isGone = (error: unknown): boolean => error instanceof UpstreamRequestError && (error.status === 404 || error.status === 410);

/** A repository's current full name by its id (null: gone or out of the token's reach), cached by the session. */
export type RepoNames = (repoId: number, fresh?: boolean) => Promise<string | null>;

export async function readRepository(client: GitHubClient, repoId: string): Promise<GitHubObject | null> {
  if (!/^\d+$/.test(repoId)) return null;
  try {
    return await client.object('GET /repositories/{id}', { id: Number(repoId) });
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

export async function fetchGitHubObject(client: GitHubClient, collectionId: string, upstreamId: string, repoNames: RepoNames): Promise<UpstreamObject | null> {
  if (collectionId === REPOSITORY) {
    const repo = await readRepository(client, upstreamId);
    return repo ? liveObject(String(repoRef(repo).id), listShape(REPOSITORY, repo)) : null;
  }
  const parsed = parseIssueUpstreamId(upstreamId);
  if (!parsed) return null;
  const isIssue = collectionId === ISSUE;
  const read = async (fullName: string): Promise<GitHubObject | null> => {
    const route = isIssue ? 'GET /repos/{owner}/{repo}/issues/{issue_number}' : 'GET /repos/{owner}/{repo}/pulls/{pull_number}';
    try {
      return await client.object(route, { ...splitFullName(fullName), [isIssue ? 'issue_number' : 'pull_number']: parsed.number });
    } catch (error) {
      if (isGone(error)) return null; // 404: no such number or repository; 410: a deleted issue
      throw error;
    }
  };
  let fullName = await repoNames(parsed.repoId);
  if (fullName === null) return null;
  let item = await read(fullName);
  // GitHub redirects a transferred issue to its new place, and a renamed repository's old name to
  // its new one: an answer from elsewhere is checked again against the repository's current name.
  if (item && !belongsTo(item, parsed, fullName, isIssue)) {
    fullName = await repoNames(parsed.repoId, true);
    if (fullName === null || !belongsTo(item, parsed, fullName, isIssue)) return null;
  }
  if (!item) return null;
  if (isIssue && 'pull_request' in item) return null; // the number is a pull request's
  item = listShape(collectionId, item);
  return liveObject(issueUpstreamId(parsed.repoId, parsed.number), item);
}

function belongsTo(item: GitHubObject, id: { repoId: number; number: number }, fullName: string, isIssue: boolean): boolean {
  if (item.number !== id.number) return false;
  if (!isIssue) return ((item.base as GitHubObject | undefined)?.repo as GitHubObject | undefined)?.id === id.repoId;
  return typeof item.repository_url === 'string' && item.repository_url.toLowerCase().endsWith(`/repos/${fullName.toLowerCase()}`);
}
