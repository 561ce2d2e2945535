import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderContext, ProviderSession, UpstreamObject } from '../provider.ts';
import { listRepositories, listScoped } from './backfill.ts';
import { initialRepositoryCursor, initialScanCursor, repositoryChanges, scanChanges } from './changes.ts';
import { createOctokit, DEFAULT_API_BASE_URL, GitHubClient } from './client.ts';
import { fetchGitHubObject, readRepository } from './fetch-object.ts';
import { listAllRepos, scopedKinds, sortedRefs, type ScopedKind } from './listings.ts';
import { mutateIssue, mutatePullRequest, mutateRepository } from './mutations.ts';
import { repoRef, type RepoRef } from './objects.ts';
import { isGitHubRateLimited } from './rate-limit.ts';
import { githubWebhooks } from './webhooks.ts';

const REPOSITORY = 'github:repository';

/** How long a backfill reuses one listing of the repositories to step from one to the next. */
const REPO_LIST_TTL_MS = 60_000;

class GitHubSession implements ProviderSession {
  private repoList: { at: number; refs: Promise<RepoRef[]> } | null = null;
  /** Repository id → full name, for reading issues and pull requests by their upstream id. */
  private readonly repoNames = new Map<number, { at: number; fullName: string }>();

  constructor(
    private readonly client: GitHubClient,
    private readonly apiBase: string,
  ) {}

  listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    if (collectionId === REPOSITORY) return listRepositories(this.client, cursor);
    return listScoped(this.client, this.kind(collectionId), cursor, () => this.repos());
  }

  initialChangesCursor(collectionId: string): Promise<string> {
    if (collectionId === REPOSITORY) return initialRepositoryCursor(this.client);
    return initialScanCursor(this.client, this.kind(collectionId));
  }

  changesSince(collectionId: string, cursor: string): Promise<ChangesPage> {
    if (collectionId === REPOSITORY) return repositoryChanges(this.client, cursor);
    return scanChanges(this.client, this.kind(collectionId), cursor, this.apiBase);
  }

  mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    if (collectionId === REPOSITORY) return mutateRepository(this.client, kind, item);
    if (collectionId === 'github:issue') return mutateIssue(this.client, kind, item);
    if (collectionId === 'github:pull_request') return mutatePullRequest(this.client, kind, item);
    throw new Error(`unknown GitHub collection ${collectionId}`);
  }

  fetchObject(collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
    if (collectionId !== REPOSITORY) this.kind(collectionId);
    return fetchGitHubObject(this.client, collectionId, upstreamId, (repoId, fresh) => this.repoName(repoId, fresh ?? false));
  }

  /** A repository's full name, read at most once a minute (a burst of webhooks for one repository costs one read). */
  private async repoName(repoId: number, fresh: boolean): Promise<string | null> {
    const known = this.repoNames.get(repoId);
    if (known && !fresh && Date.now() - known.at <= REPO_LIST_TTL_MS) return known.fullName;
    const repo = await readRepository(this.client, String(repoId));
    if (!repo) {
      this.repoNames.delete(repoId);
      return null;
    }
    const { fullName } = repoRef(repo);
    this.repoNames.set(repoId, { at: Date.now(), fullName });
    return fullName;
  }

  private kind(collectionId: string): ScopedKind {
    const kind = scopedKinds.get(collectionId);
    if (!kind) throw new Error(`unknown GitHub collection ${collectionId}`);
    return kind;
  }

  /** The repositories in backfill order, listed at most once a minute (a backfill steps through them one by one). */
  private repos(): Promise<RepoRef[]> {
    const now = Date.now();
    if (!this.repoList || now - this.repoList.at > REPO_LIST_TTL_MS) {
      const refs = listAllRepos(this.client).then(({ repos }) => sortedRefs(repos));
      refs.catch(() => {
        if (this.repoList?.refs === refs) this.repoList = null;
      });
      this.repoList = { at: now, refs };
    }
    return this.repoList.refs;
  }
}

export const githubProvider: Provider = {
  name: 'github',
  displayName: 'GitHub',
  credentialKinds: ['github'],
  collections: [
    { id: REPOSITORY, name: 'Repositories', mutations: ['create', 'update', 'delete'] },
    { id: 'github:issue', name: 'Issues', mutations: ['create', 'update'] },
    { id: 'github:pull_request', name: 'Pull requests', mutations: ['update'] },
  ],
  // A token gets 5,000 requests an hour (≈1.4/s). The hour-long window lets a backfill burst;
  // GitHub asks for requests of one token to be made one at a time (secondary limits).
  defaultRateLimit: { allowedRequests: 5000, intervalSeconds: 3600, maxConcurrentRequests: 1 },
  isRateLimited: isGitHubRateLimited,
  webhooks: githubWebhooks,
  connect: (context: ProviderContext) =>
    new GitHubSession(new GitHubClient(createOctokit(context)), (context.credential.apiBaseUrl ?? DEFAULT_API_BASE_URL).replace(/\/+$/, '')),
};
