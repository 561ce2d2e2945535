/**
 * Writes back to GitHub.
 *
 * - `github:repository`: create (`POST /user/repos`, data = GitHub's body: `name`, `description`,
 *   `private`…), update (`PATCH /repos/{owner}/{repo}`), delete (`DELETE`, 204; the tombstone
 *   carries the repository as read just before).
 * - `github:issue`: create (`POST /repos/{owner}/{repo}/issues`; data names the repository as
 *   `"repository": "owner/name"`, the rest is GitHub's body: `title`, `body`, `labels`…) and
 *   update (`PATCH …/issues/{number}`). The REST API cannot delete issues.
 * - `github:pull_request`: update (`PATCH …/pulls/{number}`: `title`, `body`, `state`, `base`).
 *
 * Updates find the repository's current full name from the id in the upstream id
 * (`GET /repositories/{id}`), so renamed or transferred repositories still work.
 */

import { UpstreamRequestError, type MutationItem, type MutationKind, type UpstreamObject } from '../provider.ts';
import type { GitHubClient, GitHubObject } from './client.ts';
import { splitFullName } from './listings.ts';
import { issueUpstreamId, liveObject, numberOf, parseIssueUpstreamId, repoRef, type RepoRef } from './objects.ts';

const refused = (message: string, code: string): UpstreamRequestError => new UpstreamRequestError(message, 400, code);

function needId(kind: MutationKind, item: MutationItem): string {
  if (!item.upstreamId) throw refused(`${kind} needs the object's upstream id`, 'upstream_id_required');
  return item.upstreamId;
}

async function repoById(client: GitHubClient, id: string): Promise<GitHubObject> {
  if (!/^\d+$/.test(id)) throw refused(`"${id}" is not a GitHub repository id`, 'invalid_upstream_id');
  return client.object('GET /repositories/{id}', { id: Number(id) });
}

async function repoOfScoped(client: GitHubClient, upstreamId: string): Promise<{ ref: RepoRef; number: number }> {
  const parsed = parseIssueUpstreamId(upstreamId);
  if (!parsed) throw refused(`"${upstreamId}" is not a GitHub "<repository id>#<number>" id`, 'invalid_upstream_id');
  return { ref: repoRef(await repoById(client, String(parsed.repoId))), number: parsed.number };
}

export async function mutateRepository(client: GitHubClient, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
  switch (kind) {
    case 'create': {
      const created = await client.object('POST /user/repos', {}, item.data);
      return liveObject(String(repoRef(created).id), created);
    }
    case 'update': {
      const id = needId(kind, item);
      const current = repoRef(await repoById(client, id));
      const updated = await client.object('PATCH /repos/{owner}/{repo}', splitFullName(current.fullName), item.data);
      return liveObject(id, updated);
    }
    case 'delete': {
      const id = needId(kind, item);
      const last = await repoById(client, id);
      await client.noContent('DELETE /repos/{owner}/{repo}', splitFullName(repoRef(last).fullName));
      return { ...liveObject(id, last), deleted: true };
    }
  }
}

export async function mutateIssue(client: GitHubClient, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
  const { repository, ...body } = item.data;
  switch (kind) {
    case 'create': {
      if (typeof repository !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(repository)) {
        throw refused('an issue create names its repository: {"repository": "owner/name", "title": …}', 'repository_required');
      }
      const repo = repoRef(await client.object('GET /repos/{owner}/{repo}', splitFullName(repository)));
      const created = await client.object('POST /repos/{owner}/{repo}/issues', splitFullName(repo.fullName), body);
      return liveObject(issueUpstreamId(repo.id, numberOf(created)), created);
    }
    case 'update': {
      const { ref, number } = await repoOfScoped(client, needId(kind, item));
      const updated = await client.object('PATCH /repos/{owner}/{repo}/issues/{issue_number}', { ...splitFullName(ref.fullName), issue_number: number }, body);
      return liveObject(issueUpstreamId(ref.id, number), updated);
    }
    case 'delete':
      throw refused('GitHub’s REST API cannot delete issues (close them with an update: {"state": "closed"})', 'mutation_not_supported');
  }
}

export async function mutatePullRequest(client: GitHubClient, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
  if (kind !== 'update') throw refused(`pull requests can only be updated through Syncline (${kind} is not supported)`, 'mutation_not_supported');
  const { ref, number } = await repoOfScoped(client, needId(kind, item));
  const { repository: _ignored, ...body } = item.data;
  const updated = await client.object('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { ...splitFullName(ref.fullName), pull_number: number }, body);
  return liveObject(issueUpstreamId(ref.id, number), updated);
}
