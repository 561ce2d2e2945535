/**
 * The GitHub emulator's objects: repositories, and in each repository one number space shared by
 * issues and pull requests (a pull request is an issue with a `pr` part, as on GitHub). Times are
 * whole epoch seconds, as GitHub's timestamps are.
 */

export interface Account {
  login: string;
  id: number;
  type: 'User' | 'Organization';
}

export interface LabelRow {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface PullRow {
  id: number;
  draft: boolean;
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  mergedAt: number | null;
  mergeCommitSha: string | null;
}

export interface IssueRow {
  /** The issue's id (a pull request's issue side has its own id, as on GitHub). */
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  user: Account;
  labels: LabelRow[];
  comments: number;
  locked: boolean;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  pr: PullRow | null;
}

/** A repository webhook (`/repos/{owner}/{repo}/hooks`). */
export interface HookRow {
  id: number;
  active: boolean;
  /** Event names, or `*` for all. */
  events: string[];
  config: { url: string; content_type: 'json' | 'form'; secret: string | null; insecure_ssl: string };
  createdAt: number;
  updatedAt: number;
}

export interface RepoRow {
  id: number;
  name: string;
  owner: Account;
  private: boolean;
  description: string | null;
  homepage: string | null;
  language: string | null;
  topics: string[];
  hasIssues: boolean;
  hasProjects: boolean;
  hasWiki: boolean;
  archived: boolean;
  defaultBranch: string;
  size: number;
  stargazers: number;
  forks: number;
  createdAt: number;
  updatedAt: number;
  pushedAt: number;
  nextNumber: number;
  /** The repository's labels (issues refer to them). */
  labels: LabelRow[];
  issues: Map<number, IssueRow>;
  /** Numbers of deleted issues: GitHub answers 410 for them. */
  deletedNumbers: Set<number>;
  hooks: HookRow[];
}

const DEFAULT_LABELS: ReadonlyArray<readonly [string, string, string]> = [
  ['bug', 'd73a4a', "Something isn't working"],
  ['documentation', '0075ca', 'Improvements or additions to documentation'],
  ['enhancement', 'a2eeef', 'New feature or request'],
  ['good first issue', '7057ff', 'Good for newcomers'],
  ['question', 'd876e3', 'Further information is requested'],
];

export const fullName = (repo: RepoRow): string => `${repo.owner.login}/${repo.name}`;

export class GitHubStore {
  readonly repos = new Map<number, RepoRow>();
  private nextRepoId = 100_001;
  private nextIssueId = 2_000_001;
  private nextPullId = 9_000_001;
  private nextLabelId = 500_001;
  private nextHookId = 400_000_001;
  private nextCommentId = 1_700_000_001;
  private lastTime = 0;
  readonly startedAt = Math.floor(Date.now() / 1000);

  constructor(
    readonly user: Account,
    readonly organization: Account,
  ) {}

  /** The current second; never earlier than a time already handed out. */
  now(): number {
    this.lastTime = Math.max(this.lastTime, Math.floor(Date.now() / 1000));
    return this.lastTime;
  }

  findRepo(owner: string, name: string): RepoRow | undefined {
    const o = owner.toLowerCase();
    const n = name.toLowerCase();
    for (const repo of this.repos.values()) if (repo.owner.login.toLowerCase() === o && repo.name.toLowerCase() === n) return repo;
    return undefined;
  }

  addRepo(fields: Partial<Omit<RepoRow, 'id' | 'issues' | 'deletedNumbers' | 'nextNumber' | 'labels' | 'hooks'>> & { name: string; owner: Account }): RepoRow {
    const now = this.now();
    const repo: RepoRow = {
      private: false,
      description: null,
      homepage: null,
      language: null,
      topics: [],
      hasIssues: true,
      hasProjects: true,
      hasWiki: true,
      archived: false,
      defaultBranch: 'main',
      size: 0,
      stargazers: 0,
      forks: 0,
      createdAt: now,
      updatedAt: now,
      pushedAt: now,
      ...fields,
      id: this.nextRepoId++,
      nextNumber: 1,
      labels: DEFAULT_LABELS.map(([name, color, description]) => this.label(name, color, description)),
      issues: new Map(),
      deletedNumbers: new Set(),
      hooks: [],
    };
    this.repos.set(repo.id, repo);
    return repo;
  }

  addIssue(repo: RepoRow, fields: Partial<Omit<IssueRow, 'id' | 'number' | 'pr'>> & { title: string; user: Account }, pr: Omit<PullRow, 'id'> | null = null): IssueRow {
    const now = this.now();
    const issue: IssueRow = {
      body: null,
      state: 'open',
      stateReason: null,
      labels: [],
      comments: 0,
      locked: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      ...fields,
      id: this.nextIssueId++,
      number: repo.nextNumber++,
      pr: pr ? { ...pr, id: this.nextPullId++ } : null,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  hookId(): number {
    return this.nextHookId++;
  }

  commentId(): number {
    return this.nextCommentId++;
  }

  label(name: string, color: string, description: string | null = null): LabelRow {
    return { id: this.nextLabelId++, name, color, description };
  }

  deleteIssue(repo: RepoRow, number: number): void {
    repo.issues.delete(number);
    repo.deletedNumbers.add(number);
  }

  deleteRepo(repo: RepoRow): void {
    this.repos.delete(repo.id);
  }
}
