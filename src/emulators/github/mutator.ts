/**
 * Seeding and random changes: repositories owned by the user or their organization, issues and
 * pull requests sharing each repository's numbers. Random changes create, edit, close, reopen
 * and merge issues and pull requests, edit repositories, and now and then delete an issue or a
 * whole repository (its issues and pull requests go with it).
 *
 * The ids in ChangesMade are the ones Syncline's GitHub provider uses as upstream ids: the
 * repository id, and `<repository id>#<number>` for issues and pull requests.
 */

import type { ChangesMade } from '../kit/provider-emulator.ts';
import { fakePerson, type Random } from '../kit/random.ts';
import { sha } from './render.ts';
import { type Account, type GitHubStore, type IssueRow, type RepoRow } from './store.ts';
import { snapshotIssue, snapshotRepo, type GitHubWebhooks } from './webhooks.ts';

export type GitHubCollection = 'repository' | 'issue' | 'pull_request';

export const GITHUB_COLLECTIONS: readonly GitHubCollection[] = ['repository', 'issue', 'pull_request'];

const WORDS = ['sync', 'cache', 'parser', 'login', 'webhook', 'retry', 'pagination', 'timeout', 'export', 'dashboard', 'search', 'upload', 'billing', 'docs', 'tests', 'build'];
const VERBS = ['Fix', 'Add', 'Improve', 'Remove', 'Refactor', 'Document', 'Speed up', 'Handle errors in'];
const LANGUAGES = ['TypeScript', 'Go', 'Rust', 'Python', null];
const TOPICS = ['api', 'cli', 'sync', 'database', 'web', 'tooling'];

export const issueKey = (repo: RepoRow, issue: IssueRow): string => `${repo.id}#${issue.number}`;

export function parseIssueKey(key: string): { repoId: number; number: number } | null {
  const match = /^(\d+)#(\d+)$/.exec(key);
  return match ? { repoId: Number(match[1]), number: Number(match[2]) } : null;
}

export class GitHubMutator {
  private readonly contributors: Account[];
  private repoSerial = 0;
  /** Where random changes send their webhooks (set after seeding: the seed is not a change). */
  webhooks: GitHubWebhooks | null = null;

  constructor(
    private readonly store: GitHubStore,
    private readonly random: Random,
  ) {
    this.contributors = Array.from({ length: 12 }, (_, i) => {
      const login = fakePerson(random).name.toLowerCase().replace(/[^a-z]+/g, '-');
      return { login: `${login}-${i + 1}`, id: 3_001 + i, type: 'User' as const };
    });
  }

  /** `repos` repositories, then about `issues` issues and `pulls` pull requests spread over them, dated over the last days. */
  seed(counts: { repos: number; issues: number; pulls: number }): void {
    const now = this.store.now();
    const repos: RepoRow[] = [];
    for (let i = 0; i < counts.repos; i++) {
      const created = now - this.random.int(30, 400) * 86_400;
      repos.push(this.newRepo({ createdAt: created, updatedAt: created + this.random.int(0, 86_400 * 20), pushedAt: created + this.random.int(0, 86_400 * 25) }));
    }
    if (repos.length === 0) return;
    const kinds = [...Array<boolean>(counts.issues).fill(false), ...Array<boolean>(counts.pulls).fill(true)];
    // Interleaved, as on GitHub: issues and pull requests share the numbers.
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = this.random.int(0, i);
      [kinds[i], kinds[j]] = [kinds[j] as boolean, kinds[i] as boolean];
    }
    // Numbers follow creation time, as on GitHub.
    const planned = kinds.map((isPull) => {
      const repo = this.random.pick(repos);
      return { repo, isPull, created: Math.min(now, repo.createdAt + this.random.int(0, Math.max(1, now - repo.createdAt))) };
    });
    planned.sort((a, b) => a.created - b.created);
    for (const { repo, isPull, created } of planned) {
      const issue = this.newIssue(repo, isPull, created);
      issue.updatedAt = Math.min(now, created + this.random.int(0, 86_400 * 3));
      if (this.random.chance(0.35)) this.close(issue, issue.updatedAt, isPull && this.random.chance(0.7));
    }
  }

  mutate(n: number, collections: readonly GitHubCollection[] = GITHUB_COLLECTIONS): ChangesMade {
    const made: ChangesMade = { created: [], updated: [], deleted: [] };
    for (let i = 0; i < n; i++) {
      const collection = this.random.pick(collections);
      if (collection === 'repository') this.mutateRepo(made);
      else this.mutateIssue(made, collection === 'pull_request');
    }
    return made;
  }

  private mutateRepo(made: ChangesMade): void {
    const repos = [...this.store.repos.values()];
    const roll = this.random.next();
    if (repos.length === 0 || roll < 0.15) {
      const repo = this.newRepo({});
      this.webhooks?.repositoryCreated(repo);
      made.created.push(String(repo.id));
      return;
    }
    const repo = this.random.pick(repos);
    if (roll < 0.2 && repos.length > 2) {
      for (const issue of repo.issues.values()) made.deleted.push(issueKey(repo, issue));
      this.webhooks?.repositoryDeleted(repo);
      this.store.deleteRepo(repo);
      made.deleted.push(String(repo.id));
      return;
    }
    const before = snapshotRepo(repo);
    const change = this.random.int(0, 3);
    if (change === 0) repo.description = `${this.random.pick(VERBS)} ${this.random.pick(WORDS)} for ${this.random.pick(WORDS)} (${this.random.string(4)})`;
    else if (change === 1) repo.topics = TOPICS.filter(() => this.random.chance(0.4));
    else if (change === 2) repo.homepage = this.random.chance(0.3) ? null : `https://${repo.name}.example.com/${this.random.string(3).toLowerCase()}`;
    else {
      repo.pushedAt = this.store.now();
      repo.size += this.random.int(1, 50);
    }
    repo.updatedAt = this.store.now();
    if (change === 3) this.webhooks?.pushed(repo, sha(`push-${repo.id}-${repo.size}-before`), sha(`push-${repo.id}-${repo.size}`));
    else this.webhooks?.repositoryChanged(repo, before);
    made.updated.push(String(repo.id));
  }

  private mutateIssue(made: ChangesMade, pulls: boolean): void {
    const repos = [...this.store.repos.values()];
    if (repos.length === 0) return;
    const candidates = repos.flatMap((repo) => [...repo.issues.values()].filter((i) => (i.pr !== null) === pulls).map((issue) => ({ repo, issue })));
    const roll = this.random.next();
    if (candidates.length === 0 || roll < 0.3) {
      const repo = this.random.pick(repos);
      const issue = this.newIssue(repo, pulls, this.store.now());
      this.webhooks?.issueCreated(repo, issue);
      made.created.push(issueKey(repo, issue));
      return;
    }
    const { repo, issue } = this.random.pick(candidates);
    // GitHub can delete issues (admins) but never pull requests.
    if (!pulls && roll < 0.36) {
      this.deleteIssue(repo, issue);
      made.deleted.push(issueKey(repo, issue));
      return;
    }
    const before = snapshotIssue(issue);
    const now = this.store.now();
    const change = this.random.int(0, 3);
    if (change === 0) issue.title = this.title();
    else if (change === 1) issue.body = `${this.random.pick(VERBS)} the ${this.random.pick(WORDS)} step. (${this.random.string(6)})`;
    else if (change === 2) issue.labels = repo.labels.filter(() => this.random.chance(0.3));
    else if (issue.state === 'open') this.close(issue, now, pulls && this.random.chance(0.6));
    else if (!issue.pr?.mergedAt) {
      issue.state = 'open';
      issue.closedAt = null;
      issue.stateReason = issue.pr ? null : 'reopened';
    } else issue.comments++;
    issue.updatedAt = now;
    this.webhooks?.issueChanged(repo, issue, before);
    made.updated.push(issueKey(repo, issue));
  }

  /** Deletes an issue as a GitHub admin can (GraphQL `deleteIssue`; the REST API cannot). */
  deleteIssue(repo: RepoRow, issue: IssueRow): void {
    this.store.deleteIssue(repo, issue.number);
    this.webhooks?.issueDeleted(repo, issue);
  }

  /** Edits an issue's or pull request's title (and `updated_at`), as a person would on github.com. */
  retitle(repo: RepoRow, issue: IssueRow, title: string): void {
    const before = snapshotIssue(issue);
    issue.title = title;
    issue.updatedAt = this.store.now();
    this.webhooks?.issueChanged(repo, issue, before);
  }

  private close(issue: IssueRow, at: number, merge: boolean): void {
    issue.state = 'closed';
    issue.closedAt = at;
    if (issue.pr) {
      if (merge) {
        issue.pr.mergedAt = at;
        issue.pr.mergeCommitSha = sha(`merge-${issue.id}-${at}`);
      }
    } else issue.stateReason = this.random.chance(0.8) ? 'completed' : 'not_planned';
  }

  private newRepo(times: Partial<Pick<RepoRow, 'createdAt' | 'updatedAt' | 'pushedAt'>>): RepoRow {
    const owner = this.random.chance(0.25) ? this.store.organization : this.store.user;
    let name: string;
    do name = `${this.random.pick(WORDS)}-${this.random.pick(WORDS)}-${++this.repoSerial}`;
    while (this.store.findRepo(owner.login, name));
    return this.store.addRepo({
      name,
      owner,
      private: this.random.chance(0.3),
      description: this.random.chance(0.8) ? `${this.random.pick(VERBS)} ${this.random.pick(WORDS)} tooling` : null,
      language: this.random.pick(LANGUAGES),
      topics: TOPICS.filter(() => this.random.chance(0.25)),
      size: this.random.int(0, 50_000),
      stargazers: this.random.int(0, 500),
      forks: this.random.int(0, 40),
      ...times,
    });
  }

  private newIssue(repo: RepoRow, isPull: boolean, createdAt: number): IssueRow {
    const user = this.random.chance(0.4) ? repo.owner.type === 'User' ? repo.owner : this.store.user : this.random.pick(this.contributors);
    const branch = `${this.random.pick(WORDS)}-${this.random.string(5).toLowerCase()}`;
    return this.store.addIssue(
      repo,
      {
        title: this.title(),
        body: this.random.chance(0.8) ? `Steps: ${this.random.pick(WORDS)} then ${this.random.pick(WORDS)}.` : null,
        user,
        labels: repo.labels.filter(() => this.random.chance(0.2)),
        comments: this.random.int(0, 8),
        createdAt,
        updatedAt: createdAt,
      },
      isPull
        ? { draft: this.random.chance(0.15), headRef: branch, headSha: sha(`head-${branch}`), baseRef: repo.defaultBranch, baseSha: sha(`base-${repo.id}`), mergedAt: null, mergeCommitSha: null }
        : null,
    );
  }

  private title(): string {
    return `${this.random.pick(VERBS)} ${this.random.pick(WORDS)} ${this.random.pick(WORDS)}`;
  }
}
