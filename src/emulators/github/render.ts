/**
 * The emulator's objects in GitHub's REST JSON shapes (repository, issue, pull request, simple
 * user, label). `api` is the emulator's base URL (GitHub's `https://api.github.com`).
 */

import { createHash } from 'node:crypto';
import { fullName, type Account, type IssueRow, type LabelRow, type RepoRow } from './store.ts';

export type Json = Record<string, unknown>;

const HTML = 'https://github.com';

/** GitHub's timestamp format: ISO 8601 in UTC, whole seconds. */
export const isoSeconds = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const nodeId = (type: string, id: number): string => Buffer.from(`0${type.length}:${type}${id}`).toString('base64').replace(/=+$/, '');

export const sha = (seed: string): string => createHash('sha1').update(seed).digest('hex');

export function renderAccount(api: string, account: Account): Json {
  const url = `${api}/users/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type, account.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${account.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${HTML}/${account.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: account.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** `GET /user`: the authenticated user (private profile fields included). */
export function renderAuthenticatedUser(api: string, user: Account, createdAt: number): Json {
  return {
    ...renderAccount(api, user),
    name: 'Syncline Emulator',
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: isoSeconds(createdAt),
    updated_at: isoSeconds(createdAt),
  };
}

const openIssues = (repo: RepoRow): number => [...repo.issues.values()].filter((i) => i.state === 'open').length;

/**
 * A repository as GitHub's lists (`GET /user/repos`) and pull requests' `head.repo` / `base.repo`
 * render it (the description's `repository`); `full` adds what the single-repository answers
 * (`GET /repos/{owner}/{repo}`, create, update: `full-repository`) carry besides.
 */
export function renderRepository(api: string, repo: RepoRow, shape: 'list' | 'full' = 'list'): Json {
  const name = fullName(repo);
  const url = `${api}/repos/${name}`;
  const open = openIssues(repo);
  const rendered: Json = {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: name,
    private: repo.private,
    owner: renderAccount(api, repo.owner),
    html_url: `${HTML}/${name}`,
    description: repo.description,
    fork: false,
    url,
    forks_url: `${url}/forks`,
    keys_url: `${url}/keys{/key_id}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    teams_url: `${url}/teams`,
    hooks_url: `${url}/hooks`,
    issue_events_url: `${url}/issues/events{/number}`,
    events_url: `${url}/events`,
    assignees_url: `${url}/assignees{/user}`,
    branches_url: `${url}/branches{/branch}`,
    tags_url: `${url}/tags`,
    blobs_url: `${url}/git/blobs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    trees_url: `${url}/git/trees{/sha}`,
    statuses_url: `${url}/statuses/{sha}`,
    languages_url: `${url}/languages`,
    stargazers_url: `${url}/stargazers`,
    contributors_url: `${url}/contributors`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    commits_url: `${url}/commits{/sha}`,
    git_commits_url: `${url}/git/commits{/sha}`,
    comments_url: `${url}/comments{/number}`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    contents_url: `${url}/contents/{+path}`,
    compare_url: `${url}/compare/{base}...{head}`,
    merges_url: `${url}/merges`,
    archive_url: `${url}/{archive_format}{/ref}`,
    downloads_url: `${url}/downloads`,
    issues_url: `${url}/issues{/number}`,
    pulls_url: `${url}/pulls{/number}`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    labels_url: `${url}/labels{/name}`,
    releases_url: `${url}/releases{/id}`,
    deployments_url: `${url}/deployments`,
    git_url: `git://github.com/${name}.git`,
    ssh_url: `git@github.com:${name}.git`,
    clone_url: `${HTML}/${name}.git`,
    svn_url: `${HTML}/${name}`,
    homepage: repo.homepage,
    size: repo.size,
    stargazers_count: repo.stargazers,
    watchers_count: repo.stargazers,
    language: repo.language,
    has_issues: repo.hasIssues,
    has_projects: repo.hasProjects,
    has_downloads: true,
    has_wiki: repo.hasWiki,
    has_pages: false,
    has_discussions: false,
    forks_count: repo.forks,
    mirror_url: null,
    archived: repo.archived,
    disabled: false,
    open_issues_count: open,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [...repo.topics],
    visibility: repo.private ? 'private' : 'public',
    forks: repo.forks,
    open_issues: open,
    watchers: repo.stargazers,
    default_branch: repo.defaultBranch,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    created_at: isoSeconds(repo.createdAt),
    updated_at: isoSeconds(repo.updatedAt),
    pushed_at: isoSeconds(repo.pushedAt),
  };
  if (shape === 'full') {
    rendered.network_count = repo.forks;
    rendered.subscribers_count = repo.stargazers;
  }
  return rendered;
}

export function renderLabel(api: string, repo: RepoRow, label: LabelRow): Json {
  return {
    id: label.id,
    node_id: nodeId('Label', label.id),
    url: `${api}/repos/${fullName(repo)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    default: ['bug', 'documentation', 'enhancement', 'good first issue', 'question'].includes(label.name),
    description: label.description,
  };
}

const authorAssociation = (repo: RepoRow, user: Account): string => (user.id === repo.owner.id ? 'OWNER' : 'CONTRIBUTOR');

/** An issue as `GET /repos/{owner}/{repo}/issues[/{number}]` returns it; pull requests carry `pull_request`. */
export function renderIssue(api: string, repo: RepoRow, issue: IssueRow): Json {
  const repoUrl = `${api}/repos/${fullName(repo)}`;
  const url = `${repoUrl}/issues/${issue.number}`;
  const rendered: Json = {
    url,
    repository_url: repoUrl,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${HTML}/${fullName(repo)}/${issue.pr ? 'pull' : 'issues'}/${issue.number}`,
    id: issue.id,
    node_id: nodeId('Issue', issue.id),
    number: issue.number,
    title: issue.title,
    user: renderAccount(api, issue.user),
    labels: issue.labels.map((l) => renderLabel(api, repo, l)),
    state: issue.state,
    locked: issue.locked,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: issue.comments,
    created_at: isoSeconds(issue.createdAt),
    updated_at: isoSeconds(issue.updatedAt),
    closed_at: issue.closedAt === null ? null : isoSeconds(issue.closedAt),
    author_association: authorAssociation(repo, issue.user),
    active_lock_reason: null,
    body: issue.body,
    state_reason: issue.stateReason,
  };
  if (issue.pr) {
    rendered.draft = issue.pr.draft;
    rendered.pull_request = {
      url: `${repoUrl}/pulls/${issue.number}`,
      html_url: `${HTML}/${fullName(repo)}/pull/${issue.number}`,
      diff_url: `${HTML}/${fullName(repo)}/pull/${issue.number}.diff`,
      patch_url: `${HTML}/${fullName(repo)}/pull/${issue.number}.patch`,
      merged_at: issue.pr.mergedAt === null ? null : isoSeconds(issue.pr.mergedAt),
    };
  }
  return rendered;
}

/** A pull request as `GET /repos/{owner}/{repo}/pulls[/{number}]` returns it. */
export function renderPullRequest(api: string, repo: RepoRow, issue: IssueRow): Json {
  const pr = issue.pr;
  if (!pr) throw new Error(`#${issue.number} of ${fullName(repo)} is not a pull request`);
  const repoUrl = `${api}/repos/${fullName(repo)}`;
  const url = `${repoUrl}/pulls/${issue.number}`;
  const html = `${HTML}/${fullName(repo)}/pull/${issue.number}`;
  const branch = (ref: string, sha: string): Json => ({
    label: `${repo.owner.login}:${ref}`,
    ref,
    sha,
    user: renderAccount(api, repo.owner),
    repo: renderRepository(api, repo),
  });
  return {
    url,
    id: pr.id,
    node_id: nodeId('PullRequest', pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${repoUrl}/issues/${issue.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoUrl}/pulls/comments{/number}`,
    comments_url: `${repoUrl}/issues/${issue.number}/comments`,
    statuses_url: `${repoUrl}/statuses/${pr.headSha}`,
    number: issue.number,
    state: issue.state,
    locked: issue.locked,
    title: issue.title,
    user: renderAccount(api, issue.user),
    body: issue.body,
    labels: issue.labels.map((l) => renderLabel(api, repo, l)),
    milestone: null,
    active_lock_reason: null,
    created_at: isoSeconds(issue.createdAt),
    updated_at: isoSeconds(issue.updatedAt),
    closed_at: issue.closedAt === null ? null : isoSeconds(issue.closedAt),
    merged_at: pr.mergedAt === null ? null : isoSeconds(pr.mergedAt),
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branch(pr.headRef, pr.headSha),
    base: branch(pr.baseRef, pr.baseSha),
    author_association: authorAssociation(repo, issue.user),
    auto_merge: null,
    draft: pr.draft,
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: `${repoUrl}/issues/${issue.number}` },
      comments: { href: `${repoUrl}/issues/${issue.number}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${repoUrl}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${repoUrl}/statuses/${pr.headSha}` },
    },
  };
}

/** An issue as `GET /repos/{owner}/{repo}/issues/{number}` returns it: the listing's shape and `closed_by`. */
export function renderIssueDetail(api: string, repo: RepoRow, issue: IssueRow): Json {
  return { ...renderIssue(api, repo, issue), closed_by: issue.closedAt === null ? null : renderAccount(api, repo.owner) };
}

/** A pull request as `GET /repos/{owner}/{repo}/pulls/{number}` (and webhooks) return it: the listing's shape and the merge facts. */
export function renderPullRequestDetail(api: string, repo: RepoRow, issue: IssueRow): Json {
  const merged = issue.pr?.mergedAt != null;
  return {
    ...renderPullRequest(api, repo, issue),
    merged,
    mergeable: issue.state === 'open' ? true : null,
    rebaseable: issue.state === 'open' ? true : null,
    mergeable_state: issue.state === 'open' ? 'clean' : 'unknown',
    merged_by: merged ? renderAccount(api, repo.owner) : null,
    comments: issue.comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 12,
    deletions: 3,
    changed_files: 2,
  };
}
