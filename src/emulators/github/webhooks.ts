/**
 * The GitHub emulator's webhooks, sent as GitHub's repository hooks send them: one POST per
 * event and hook subscribed to it (`events` naming it, or `*`; active hooks only), the JSON
 * payload (`content_type: form`: `payload=<json>` form-encoded), and the headers `X-GitHub-Event`,
 * `X-GitHub-Delivery` (one GUID per event, the same for every hook), `X-GitHub-Hook-ID`,
 * `X-GitHub-Hook-Installation-Target-ID/-Type`, `User-Agent: GitHub-Hookshot/…` and, when the
 * hook has a secret, `X-Hub-Signature` (sha1) and `X-Hub-Signature-256` (sha256 HMAC of the body).
 *
 * GitHub does not retry a failed delivery (it can be redelivered by hand): neither does the
 * emulator unless `webhookRetryDelaysMs` asks it to. The endpoint given on the command line
 * (`--webhook-url`) gets every event of every repository, as an organization-wide hook would.
 */

import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookSender } from '../kit/webhook-sender.ts';
import { renderAccount, renderIssue, renderPullRequestDetail, renderRepository, sha, type Json } from './render.ts';
import { fullName, type Account, type GitHubStore, type HookRow, type IssueRow, type RepoRow } from './store.ts';

/** GitHub's delivery agent: `GitHub-Hookshot/<short sha>`. */
const USER_AGENT = 'GitHub-Hookshot/8e03811';

export const DEFAULT_GITHUB_WEBHOOK_SECRET = 'github-emulator-webhook-secret';

/** The command line's endpoint: no hook of its own, signed with its secret. */
export interface CliWebhookEndpoint {
  url: string;
  secret: string;
}

export interface IssueSnapshot {
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  comments: number;
}

export const snapshotIssue = (issue: IssueRow): IssueSnapshot => ({ title: issue.title, body: issue.body, state: issue.state, labels: issue.labels.map((l) => l.name), comments: issue.comments });

export interface RepoSnapshot {
  name: string;
  private: boolean;
  archived: boolean;
  description: string | null;
  homepage: string | null;
  defaultBranch: string;
  topics: string[];
}

export const snapshotRepo = (repo: RepoRow): RepoSnapshot => ({
  name: repo.name,
  private: repo.private,
  archived: repo.archived,
  description: repo.description,
  homepage: repo.homepage,
  defaultBranch: repo.defaultBranch,
  topics: [...repo.topics],
});

/** A delivery as GitHub would POST it: for tests that forge or replay one. */
export interface GitHubWebhookRequest {
  headers: Record<string, string>;
  body: string;
}

export class GitHubWebhooks {
  constructor(
    private readonly store: GitHubStore,
    readonly sender: WebhookSender,
    private readonly apiBase: () => string,
    private readonly cli: CliWebhookEndpoint | null,
  ) {}

  // ---- repositories

  repositoryCreated(repo: RepoRow): void {
    this.emit('repository', repo, { action: 'created' });
  }

  /** Sent before the repository (and its hooks) go. */
  repositoryDeleted(repo: RepoRow): void {
    this.emit('repository', repo, { action: 'deleted' });
  }

  repositoryChanged(repo: RepoRow, before: RepoSnapshot): void {
    if (before.name !== repo.name) this.emit('repository', repo, { action: 'renamed', changes: { repository: { name: { from: before.name } } } });
    if (before.private !== repo.private) this.emit('repository', repo, { action: repo.private ? 'privatized' : 'publicized' });
    if (before.archived !== repo.archived) this.emit('repository', repo, { action: repo.archived ? 'archived' : 'unarchived' });
    const changes: Json = {};
    if (before.description !== repo.description) changes.description = { from: before.description };
    if (before.homepage !== repo.homepage) changes.homepage = { from: before.homepage };
    if (before.defaultBranch !== repo.defaultBranch) changes.default_branch = { from: before.defaultBranch };
    if (before.topics.join(',') !== repo.topics.join(',')) changes.topics = { from: before.topics };
    if (Object.keys(changes).length > 0) this.emit('repository', repo, { action: 'edited', changes });
  }

  pushed(repo: RepoRow, previousHead: string, head: string): void {
    const author = { name: repo.owner.login, email: `${repo.owner.id}+${repo.owner.login}@users.noreply.github.com`, username: repo.owner.login };
    const commit = {
      id: head,
      tree_id: sha(`tree-${head}`),
      distinct: true,
      message: 'Update README.md',
      timestamp: new Date(repo.pushedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      url: `https://github.com/${fullName(repo)}/commit/${head}`,
      author,
      committer: author,
      added: [],
      removed: [],
      modified: ['README.md'],
    };
    this.emit('push', repo, {
      ref: `refs/heads/${repo.defaultBranch}`,
      before: previousHead,
      after: head,
      pusher: { name: repo.owner.login, email: author.email },
      created: false,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `https://github.com/${fullName(repo)}/compare/${previousHead.slice(0, 12)}...${head.slice(0, 12)}`,
      commits: [commit],
      head_commit: commit,
    });
  }

  // ---- issues and pull requests

  issueCreated(repo: RepoRow, issue: IssueRow): void {
    this.emitIssue(repo, issue, 'opened');
  }

  /** Sent with the issue's last state (pull requests cannot be deleted). */
  issueDeleted(repo: RepoRow, issue: IssueRow): void {
    this.emitIssue(repo, issue, 'deleted');
  }

  /** The actions GitHub sends for what changed since `before`: edited, closed / reopened, labeled / unlabeled, a comment. */
  issueChanged(repo: RepoRow, issue: IssueRow, before: IssueSnapshot): void {
    const changes: Json = {};
    if (before.title !== issue.title) changes.title = { from: before.title };
    if (before.body !== issue.body) changes.body = { from: before.body };
    if (Object.keys(changes).length > 0) this.emitIssue(repo, issue, 'edited', { changes });
    if (before.state !== issue.state) this.emitIssue(repo, issue, issue.state === 'closed' ? 'closed' : 'reopened');
    const now = issue.labels.map((l) => l.name);
    for (const label of issue.labels.filter((l) => !before.labels.includes(l.name))) this.emitIssue(repo, issue, 'labeled', { label: this.label(repo, label.name) });
    for (const name of before.labels.filter((n) => !now.includes(n))) this.emitIssue(repo, issue, 'unlabeled', { label: this.label(repo, name) });
    if (issue.comments > before.comments) this.commented(repo, issue);
  }

  commented(repo: RepoRow, issue: IssueRow): void {
    const id = this.store.commentId();
    const at = new Date(issue.updatedAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const api = this.apiBase();
    this.emit('issue_comment', repo, {
      action: 'created',
      issue: renderIssue(api, repo, issue),
      comment: {
        url: `${api}/repos/${fullName(repo)}/issues/comments/${id}`,
        html_url: `https://github.com/${fullName(repo)}/${issue.pr ? 'pull' : 'issues'}/${issue.number}#issuecomment-${id}`,
        issue_url: `${api}/repos/${fullName(repo)}/issues/${issue.number}`,
        id,
        node_id: Buffer.from(`IC_${id}`).toString('base64').replace(/=+$/, ''),
        user: renderAccount(api, this.store.user),
        created_at: at,
        updated_at: at,
        author_association: 'OWNER',
        body: 'Looks good to me.',
        performed_via_github_app: null,
      },
    });
  }

  // ---- hooks

  ping(repo: RepoRow, hook: HookRow, render: (hook: HookRow) => Json): void {
    const zen = ['Design for failure.', 'Keep it logically awesome.', 'Speak like a human.', 'Approachable is better than simple.'];
    this.deliver(hook, repo, 'ping', randomUUID(), this.body(repo, { zen: zen[hook.id % zen.length], hook_id: hook.id, hook: render(hook) }));
  }

  /** A delivery of `event` for `repo` signed with `secret`, exactly as a hook would receive it (nothing is sent). */
  request(event: string, repo: RepoRow, payload: Json, secret: string, hookId = 0): GitHubWebhookRequest {
    const body = JSON.stringify(this.body(repo, payload, event));
    return { headers: { 'content-type': 'application/json', ...this.headers(event, randomUUID(), hookId, repo, secret, body) }, body };
  }

  issuePayload(repo: RepoRow, issue: IssueRow, action: string, extra: Json = {}): { event: string; payload: Json } {
    const api = this.apiBase();
    if (issue.pr) return { event: 'pull_request', payload: { action, number: issue.number, ...extra, pull_request: renderPullRequestDetail(api, repo, issue) } };
    return { event: 'issues', payload: { action, ...extra, issue: renderIssue(api, repo, issue) } };
  }

  private emitIssue(repo: RepoRow, issue: IssueRow, action: string, extra: Json = {}): void {
    const { event, payload } = this.issuePayload(repo, issue, action, extra);
    this.emit(event, repo, payload);
  }

  private label(repo: RepoRow, name: string): Json {
    const label = repo.labels.find((l) => l.name === name);
    return { id: label?.id ?? 0, name, color: label?.color ?? 'ededed', default: false, description: label?.description ?? null, url: `${this.apiBase()}/repos/${fullName(repo)}/labels/${encodeURIComponent(name)}` };
  }

  private emit(event: string, repo: RepoRow, payload: Json): void {
    const guid = randomUUID();
    const body = this.body(repo, payload, event);
    for (const hook of repo.hooks) {
      if (hook.active && (hook.events.includes(event) || hook.events.includes('*'))) this.deliver(hook, repo, event, guid, body);
    }
    if (this.cli) {
      const text = JSON.stringify(body);
      const { url, secret } = this.cli;
      this.sender.send({ endpoint: { id: 'cli', url, secret, events: ['*'] }, deliveryId: guid, body: text, sign: () => this.headers(event, guid, 0, repo, secret, text) });
    }
  }

  private deliver(hook: HookRow, repo: RepoRow, event: string, guid: string, payload: Json): void {
    const json = JSON.stringify(payload);
    const form = hook.config.content_type === 'form';
    const body = form ? `payload=${encodeURIComponent(json)}` : json;
    const secret = hook.config.secret;
    this.sender.send({
      endpoint: { id: String(hook.id), url: hook.config.url, secret: secret ?? '', events: hook.events },
      deliveryId: guid,
      body,
      sign: () => ({ ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...this.headers(event, guid, hook.id, repo, secret, body) }),
    });
  }

  private headers(event: string, guid: string, hookId: number, repo: RepoRow, secret: string | null, body: string): Record<string, string> {
    return {
      'user-agent': USER_AGENT,
      'x-github-event': event,
      'x-github-delivery': guid,
      'x-github-hook-id': String(hookId),
      'x-github-hook-installation-target-id': String(repo.id),
      'x-github-hook-installation-target-type': 'repository',
      ...(secret
        ? {
            'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
            'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
          }
        : {}),
    };
  }

  /** The payload with what every event carries: the repository, its organization (if one owns it), the sender. */
  private body(repo: RepoRow, payload: Json, event = ''): Json {
    const api = this.apiBase();
    const repository = renderRepository(api, repo);
    // Push payloads carry the repository's times as epoch seconds, and two legacy fields.
    const pushRepository = { ...repository, created_at: repo.createdAt, pushed_at: repo.pushedAt, stargazers: repo.stargazers, master_branch: repo.defaultBranch };
    return {
      ...payload,
      repository: event === 'push' ? pushRepository : repository,
      ...(repo.owner.type === 'Organization' ? { organization: organizationOf(api, repo.owner) } : {}),
      sender: renderAccount(api, this.store.user),
    };
  }
}

function organizationOf(api: string, org: Account): Json {
  const url = `${api}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: Buffer.from(`04:Organization${org.id}`).toString('base64').replace(/=+$/, ''),
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${org.id}?v=4`,
    description: null,
  };
}
