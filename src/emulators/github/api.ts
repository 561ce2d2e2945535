/**
 * The GitHub REST routes the emulator serves: the authenticated user, their repositories
 * (list, create, get by name or id, update, delete), issues and pull requests of a repository
 * (list with state / sort / direction / since / paging, create issue, get, update).
 */

import { jsonBody, type EmulatorAnswer, type EmulatorRequest } from '../kit/http-emulator.ts';
import { fail, notFound, validationFailed } from './errors.ts';
import { paginate } from './paging.ts';
import { renderAuthenticatedUser, renderIssue, renderIssueDetail, renderPullRequest, renderPullRequestDetail, renderRepository, sha, type Json } from './render.ts';
import { GitHubHooksApi } from './hooks-api.ts';
import { route, type Route } from './routes.ts';
import { fullName, type GitHubStore, type IssueRow, type RepoRow } from './store.ts';
import { snapshotIssue, snapshotRepo, type GitHubWebhooks } from './webhooks.ts';


export class GitHubApi {
  private readonly routes: Route[];

  constructor(
    private readonly store: GitHubStore,
    /** The emulator's own base URL, for the `url` fields of objects (set once listening). */
    private readonly apiBase: () => string,
    private readonly webhooks: GitHubWebhooks,
  ) {
    const r = route;
    const hooks = new GitHubHooksApi(store, apiBase, webhooks, (o, n) => this.repo(o, n), (q) => this.body(q));
    this.routes = [
      ...hooks.routes(),
      r('GET', '/user', () => this.json(200, renderAuthenticatedUser(this.api, this.store.user, this.store.startedAt))),
      r('GET', '/user/repos', (q) => this.listRepos(q)),
      r('POST', '/user/repos', (q) => this.createRepo(q)),
      r('GET', '/repositories/{id}', (_q, [id]) => this.json(200, renderRepository(this.api, this.repoById(id as string), 'full'))),
      r('GET', '/repos/{owner}/{repo}', (_q, [o, n]) => this.json(200, renderRepository(this.api, this.repo(o, n), 'full'))),
      r('PATCH', '/repos/{owner}/{repo}', (q, [o, n]) => this.updateRepo(q, this.repo(o, n))),
      r('DELETE', '/repos/{owner}/{repo}', (_q, [o, n]) => this.deleteRepo(this.repo(o, n))),
      r('GET', '/repos/{owner}/{repo}/issues', (q, [o, n]) => this.listIssues(q, this.repo(o, n))),
      r('POST', '/repos/{owner}/{repo}/issues', (q, [o, n]) => this.createIssue(q, this.repo(o, n))),
      r('GET', '/repos/{owner}/{repo}/issues/{number}', (_q, [o, n, num]) => {
        const repo = this.repo(o, n);
        return this.json(200, renderIssueDetail(this.api, repo, this.issue(repo, num)));
      }),
      r('PATCH', '/repos/{owner}/{repo}/issues/{number}', (q, [o, n, num]) => {
        const repo = this.repo(o, n);
        return this.updateIssue(q, repo, this.issue(repo, num), 'issue');
      }),
      r('GET', '/repos/{owner}/{repo}/pulls', (q, [o, n]) => this.listPulls(q, this.repo(o, n))),
      r('GET', '/repos/{owner}/{repo}/pulls/{number}', (_q, [o, n, num]) => {
        const repo = this.repo(o, n);
        return this.json(200, renderPullRequestDetail(this.api, repo, this.pull(repo, num)));
      }),
      r('PATCH', '/repos/{owner}/{repo}/pulls/{number}', (q, [o, n, num]) => {
        const repo = this.repo(o, n);
        return this.updateIssue(q, repo, this.pull(repo, num), 'pull');
      }),
    ];
  }

  private get api(): string {
    return this.apiBase();
  }

  handle(request: EmulatorRequest): EmulatorAnswer {
    const path = request.path.replace(/\/+$/, '') || '/';
    for (const route of this.routes) {
      const match = route.method === request.method ? route.pattern.exec(path) : null;
      if (match) return route.handle(request, match.slice(1).map((p) => decodeURIComponent(p)));
    }
    // GitHub answers 404 for unknown paths and for methods a path does not take.
    throw notFound();
  }

  // ---- repositories

  private listRepos(request: EmulatorRequest): EmulatorAnswer {
    const q = request.query;
    const type = q.get('type');
    if (type && (q.has('visibility') || q.has('affiliation'))) {
      throw validationFailed([{ resource: 'Search', field: 'q', code: 'invalid', message: 'type cannot be combined with visibility or affiliation' }]);
    }
    const affiliation = new Set((q.get('affiliation') ?? 'owner,collaborator,organization_member').split(',').map((a) => a.trim()));
    const visibility = q.get('visibility') ?? 'all';
    let repos = [...this.store.repos.values()].filter((repo) => {
      const owned = repo.owner.id === this.store.user.id;
      if (owned ? !affiliation.has('owner') : !affiliation.has('organization_member')) return false;
      if (visibility === 'public' && repo.private) return false;
      if (visibility === 'private' && !repo.private) return false;
      if (type === 'owner' && !owned) return false;
      if (type === 'member' && owned) return false;
      if (type === 'public' && repo.private) return false;
      if (type === 'private' && !repo.private) return false;
      return true;
    });
    const since = timeParam(q.get('since'));
    const before = timeParam(q.get('before'));
    if (since !== null) repos = repos.filter((r) => r.updatedAt >= since);
    if (before !== null) repos = repos.filter((r) => r.updatedAt < before);
    const sort = q.get('sort') ?? 'full_name';
    const direction = q.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc');
    const key: (r: RepoRow) => number | string =
      sort === 'created' ? (r) => r.createdAt : sort === 'updated' ? (r) => r.updatedAt : sort === 'pushed' ? (r) => r.pushedAt : (r) => fullName(r).toLowerCase();
    repos.sort((a, b) => compare(key(a), key(b)) || a.id - b.id);
    if (direction === 'desc') repos.reverse();
    return this.page(request, repos, (r) => renderRepository(this.api, r));
  }

  private createRepo(request: EmulatorRequest): EmulatorAnswer {
    const body = this.body(request);
    const name = body.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
      throw validationFailed([{ resource: 'Repository', field: 'name', code: 'missing_field' }], 'Repository creation failed.');
    }
    if (this.store.findRepo(this.store.user.login, name)) {
      throw validationFailed([{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }], 'Repository creation failed.');
    }
    const repo = this.store.addRepo({ name, owner: this.store.user });
    this.applyRepoFields(repo, body);
    this.webhooks.repositoryCreated(repo);
    return this.json(201, renderRepository(this.api, repo, 'full'));
  }

  private updateRepo(request: EmulatorRequest, repo: RepoRow): EmulatorAnswer {
    const body = this.body(request);
    const before = snapshotRepo(repo);
    if (body.name !== undefined) {
      if (typeof body.name !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(body.name)) throw validationFailed([{ resource: 'Repository', field: 'name', code: 'invalid' }]);
      const clash = this.store.findRepo(repo.owner.login, body.name);
      if (clash && clash.id !== repo.id) throw validationFailed([{ resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' }]);
      repo.name = body.name;
    }
    this.applyRepoFields(repo, body);
    repo.updatedAt = this.store.now();
    this.webhooks.repositoryChanged(repo, before);
    return this.json(200, renderRepository(this.api, repo, 'full'));
  }

  private applyRepoFields(repo: RepoRow, body: Json): void {
    const text = (v: unknown, field: string): string | null => {
      if (v === null || typeof v === 'string') return v === '' ? null : v;
      throw validationFailed([{ resource: 'Repository', field, code: 'invalid' }]);
    };
    const flag = (v: unknown, field: string): boolean => {
      if (typeof v === 'boolean') return v;
      throw validationFailed([{ resource: 'Repository', field, code: 'invalid' }]);
    };
    if (body.description !== undefined) repo.description = text(body.description, 'description');
    if (body.homepage !== undefined) repo.homepage = text(body.homepage, 'homepage');
    if (body.private !== undefined) repo.private = flag(body.private, 'private');
    if (body.visibility !== undefined) repo.private = body.visibility === 'private';
    if (body.has_issues !== undefined) repo.hasIssues = flag(body.has_issues, 'has_issues');
    if (body.has_projects !== undefined) repo.hasProjects = flag(body.has_projects, 'has_projects');
    if (body.has_wiki !== undefined) repo.hasWiki = flag(body.has_wiki, 'has_wiki');
    if (body.archived !== undefined) repo.archived = flag(body.archived, 'archived');
    if (body.default_branch !== undefined) repo.defaultBranch = text(body.default_branch, 'default_branch') ?? repo.defaultBranch;
  }

  private deleteRepo(repo: RepoRow): EmulatorAnswer {
    this.webhooks.repositoryDeleted(repo);
    this.store.deleteRepo(repo);
    return { status: 204 };
  }

  // ---- issues and pull requests

  private listIssues(request: EmulatorRequest, repo: RepoRow): EmulatorAnswer {
    if (!repo.hasIssues) throw fail(410, 'Issues are disabled for this repo');
    const q = request.query;
    const since = timeParam(q.get('since'));
    let issues = this.byState(request, [...repo.issues.values()]);
    if (since !== null) issues = issues.filter((i) => i.updatedAt >= since);
    const labels = q.get('labels');
    if (labels) {
      const wanted = labels.split(',').map((l) => l.trim().toLowerCase());
      issues = issues.filter((i) => wanted.every((w) => i.labels.some((l) => l.name.toLowerCase() === w)));
    }
    const sort = q.get('sort') ?? 'created';
    const key: (i: IssueRow) => number = sort === 'updated' ? (i) => i.updatedAt : sort === 'comments' ? (i) => i.comments : (i) => i.createdAt;
    this.order(issues, key, q.get('direction') ?? 'desc');
    return this.page(request, issues, (i) => renderIssue(this.api, repo, i));
  }

  private listPulls(request: EmulatorRequest, repo: RepoRow): EmulatorAnswer {
    const q = request.query;
    const pulls = this.byState(request, [...repo.issues.values()].filter((i) => i.pr !== null));
    const sort = q.get('sort') ?? 'created';
    const key: (i: IssueRow) => number =
      sort === 'updated' ? (i) => i.updatedAt : sort === 'popularity' ? (i) => i.comments : sort === 'long-running' ? (i) => -i.createdAt : (i) => i.createdAt;
    this.order(pulls, key, q.get('direction') ?? (sort === 'created' ? 'desc' : 'asc'));
    return this.page(request, pulls, (i) => renderPullRequest(this.api, repo, i));
  }

  private byState(request: EmulatorRequest, issues: IssueRow[]): IssueRow[] {
    const state = request.query.get('state') ?? 'open';
    if (state === 'all') return issues;
    if (state !== 'open' && state !== 'closed') throw validationFailed([{ resource: 'Issue', field: 'state', code: 'invalid' }]);
    return issues.filter((i) => i.state === state);
  }

  private order(issues: IssueRow[], key: (i: IssueRow) => number, direction: string): void {
    issues.sort((a, b) => key(a) - key(b) || a.number - b.number);
    if (direction === 'desc') issues.reverse();
  }

  private createIssue(request: EmulatorRequest, repo: RepoRow): EmulatorAnswer {
    if (!repo.hasIssues) throw fail(410, 'Issues are disabled for this repo');
    const body = this.body(request);
    const title = typeof body.title === 'number' ? String(body.title) : body.title;
    if (typeof title !== 'string' || title.trim() === '') throw fail(422, 'Invalid request.\n\n"title" wasn\'t supplied.');
    const issue = this.store.addIssue(repo, { title, user: this.store.user });
    this.applyIssueFields(repo, issue, { ...body, title });
    this.webhooks.issueCreated(repo, issue);
    return this.json(201, renderIssueDetail(this.api, repo, issue));
  }

  private updateIssue(request: EmulatorRequest, repo: RepoRow, issue: IssueRow, as: 'issue' | 'pull'): EmulatorAnswer {
    const before = snapshotIssue(issue);
    this.applyIssueFields(repo, issue, this.body(request));
    issue.updatedAt = this.store.now();
    this.webhooks.issueChanged(repo, issue, before);
    return this.json(200, as === 'pull' ? renderPullRequestDetail(this.api, repo, issue) : renderIssueDetail(this.api, repo, issue));
  }

  private applyIssueFields(repo: RepoRow, issue: IssueRow, body: Json): void {
    if (body.title !== undefined) {
      if (typeof body.title !== 'string' || body.title.trim() === '') throw validationFailed([{ resource: 'Issue', field: 'title', code: 'missing_field' }]);
      issue.title = body.title;
    }
    if (body.body !== undefined) {
      if (body.body !== null && typeof body.body !== 'string') throw validationFailed([{ resource: 'Issue', field: 'body', code: 'invalid' }]);
      issue.body = body.body;
    }
    if (body.labels !== undefined) {
      if (!Array.isArray(body.labels)) throw validationFailed([{ resource: 'Issue', field: 'labels', code: 'invalid' }]);
      issue.labels = body.labels.map((l: unknown) => {
        const name = typeof l === 'string' ? l : l && typeof l === 'object' && typeof (l as Json).name === 'string' ? ((l as Json).name as string) : null;
        if (name === null) throw validationFailed([{ resource: 'Label', field: 'name', code: 'invalid' }]);
        const existing = repo.labels.find((x) => x.name.toLowerCase() === name.toLowerCase());
        if (existing) return existing;
        const created = this.store.label(name, 'ededed');
        repo.labels.push(created);
        return created;
      });
    }
    if (body.state !== undefined) {
      if (body.state !== 'open' && body.state !== 'closed') throw validationFailed([{ resource: 'Issue', field: 'state', code: 'invalid' }]);
      this.setState(issue, body.state, typeof body.state_reason === 'string' ? body.state_reason : null);
    }
    if (issue.pr && typeof body.base === 'string' && body.base !== '') issue.pr.baseRef = body.base;
  }

  private setState(issue: IssueRow, state: 'open' | 'closed', reason: string | null): void {
    if (issue.state === state) return;
    const now = this.store.now();
    issue.state = state;
    if (state === 'closed') {
      issue.closedAt = now;
      issue.stateReason = issue.pr ? null : reason === 'not_planned' ? 'not_planned' : 'completed';
    } else {
      issue.closedAt = null;
      issue.stateReason = issue.pr ? null : 'reopened';
    }
  }

  // ---- helpers

  private repo(owner: string | undefined, name: string | undefined): RepoRow {
    const repo = owner && name ? this.store.findRepo(owner, name) : undefined;
    if (!repo) throw notFound();
    return repo;
  }

  private repoById(raw: string): RepoRow {
    const repo = /^\d+$/.test(raw) ? this.store.repos.get(Number(raw)) : undefined;
    if (!repo) throw notFound();
    return repo;
  }

  private issue(repo: RepoRow, raw: string | undefined): IssueRow {
    const number = raw && /^\d+$/.test(raw) ? Number(raw) : NaN;
    const issue = repo.issues.get(number);
    if (issue) return issue;
    if (repo.deletedNumbers.has(number)) throw fail(410, 'This issue was deleted');
    throw notFound();
  }

  private pull(repo: RepoRow, raw: string | undefined): IssueRow {
    const issue = repo.issues.get(raw && /^\d+$/.test(raw) ? Number(raw) : NaN);
    if (!issue?.pr) throw notFound();
    return issue;
  }

  private body(request: EmulatorRequest): Json {
    const parsed = jsonBody(request, () => ({ status: 400, body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest', status: '400' } }));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail(400, 'Problems parsing JSON');
    return parsed as Json;
  }

  private json(status: number, body: unknown): EmulatorAnswer {
    return { status, body };
  }

  private page<T>(request: EmulatorRequest, all: readonly T[], render: (item: T) => Json): EmulatorAnswer {
    const { items, link } = paginate(request, all);
    const body = items.map(render);
    return { status: 200, body, headers: { ETag: `W/"${sha(JSON.stringify(body))}"`, ...(link ? { Link: link } : {}) } };
  }
}

function timeParam(raw: string | null): number | null {
  if (!raw) return null;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw validationFailed([{ resource: 'Search', field: 'since', code: 'invalid', message: `invalid time ${raw}` }]);
  return Math.floor(ms / 1000);
}

const compare = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);
