/**
 * GitHub REST API emulator on the emulator kit: the user's repositories, their issues and pull
 * requests, in GitHub's JSON shapes, paging (`per_page`, `page`, `Link`), token auth,
 * `X-RateLimit-*` headers and GitHub's rate limit answers (primary and secondary).
 */

import { HttpEmulator, type EmulatorRequest } from '../kit/http-emulator.ts';
import { mutationControls, transportControls, validateFaults, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { GitHubApi } from './api.ts';
import { GITHUB_COLLECTIONS, GitHubMutator, type GitHubCollection } from './mutator.ts';
import { renderIssue, renderPullRequest, renderRepository } from './render.ts';
import { GitHubStore } from './store.ts';
import { GitHubWire, type SecondaryRateLimit } from './wire.ts';

export type { GitHubCollection } from './mutator.ts';
export type { SecondaryRateLimit } from './wire.ts';

export const DEFAULT_GITHUB_TOKEN = 'ghp_emulator';

export interface GitHubEmulatorOptions extends CommonEmulatorOptions {
  /** The token clients send as `Authorization: token …` or `Bearer …` (default `ghp_emulator`; `apiKey` is the same, for `--api-key`). */
  token?: string;
  /** Primary rate limit answers: 403 (default) or 429, both with `x-ratelimit-remaining: 0`. */
  primaryRateLimitStatus?: 403 | 429;
  /** Repositories to seed instead of seedCounts' share (the issues and pull requests spread over them). */
  repositories?: number;
  /** Random secondary rate limit answers (403 + `retry-after`); default none. */
  secondaryRateLimit?: SecondaryRateLimit | null;
}

export interface GitHubEmulator extends ProviderEmulator<GitHubCollection> {
  token: string;
  /** Rotates the token (the old one then gets 401 Bad credentials). */
  setToken(token: string): void;
  setSecondaryRateLimit(limit: SecondaryRateLimit | null): void;
  /** The authenticated user's login. */
  readonly login: string;
}

/**
 * `objects` N seeds max(2, ⌈N/20⌉) repositories (none for 0) and N issues and N pull requests
 * spread over them: a collection per repository would make every poll cost a request per
 * repository for little data.
 */
export function seedCounts(objects: number): { repos: number; issues: number; pulls: number } {
  if (objects <= 0) return { repos: 0, issues: 0, pulls: 0 };
  return { repos: Math.max(2, Math.ceil(objects / 20)), issues: objects, pulls: objects };
}

export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const random = new Random(options.randomSeed ?? Math.floor(Math.random() * 2 ** 32));
  const dataRandom = random.fork();
  const faultSeed = Math.floor(random.next() * 2 ** 32);
  const secondarySeed = Math.floor(random.next() * 2 ** 32);
  const store = new GitHubStore({ login: 'syncline-emulator', id: 1_001, type: 'User' }, { login: 'syncline-labs', id: 2_001, type: 'Organization' });
  const mutator = new GitHubMutator(store, dataRandom);
  const counts = seedCounts(options.objects ?? 0);
  mutator.seed(options.repositories === undefined ? counts : { ...counts, repos: options.repositories });

  let base = '';
  const api = new GitHubApi(store, () => base);
  const wire = new GitHubWire(
    { token: options.token ?? options.apiKey ?? DEFAULT_GITHUB_TOKEN, userId: store.user.id, primaryStatus: options.primaryRateLimitStatus ?? 403, secondary: options.secondaryRateLimit ?? null },
    secondarySeed,
  );
  const http = new HttpEmulator(
    {
      name: wire.name,
      authenticate: (request) => wire.authenticate(request),
      rateLimited: (request, state) => wire.rateLimited(request, state),
      internalError: (request) => wire.internalError(request),
      answerHeaders: (request, state) => wire.answerHeaders(request, state),
      handle: (request: EmulatorRequest) => {
        wire.checkSecondaryLimit();
        return api.handle(request);
      },
    },
    {
      rateLimit: options.rateLimit ?? null,
      faults: validateFaults(options.faults ?? {}),
      faultSeed,
      ...(options.logger ? { logger: options.logger } : {}),
    },
  );
  await http.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  base = http.url;
  const mutate = (n: number, collections?: GitHubCollection[]) => mutator.mutate(n, collections && collections.length > 0 ? collections : GITHUB_COLLECTIONS);

  return {
    ...transportControls(http),
    get token() {
      return wire.settings.token;
    },
    setToken(token) {
      wire.settings.token = token;
    },
    setSecondaryRateLimit(limit) {
      if (limit && !(limit.rate >= 0 && limit.rate <= 1)) throw new RangeError(`secondary rate limit rate must be between 0 and 1, got ${limit.rate}`);
      wire.settings.secondary = limit;
    },
    login: store.user.login,
    collections: GITHUB_COLLECTIONS,
    objects(collection) {
      const repos = [...store.repos.values()];
      const rendered =
        collection === 'repository'
          ? repos.map((repo) => renderRepository(base, repo))
          : repos.flatMap((repo) =>
              [...repo.issues.values()]
                .filter((issue) => (issue.pr !== null) === (collection === 'pull_request'))
                .map((issue) => (collection === 'pull_request' ? renderPullRequest(base, repo, issue) : renderIssue(base, repo, issue))),
            );
      return JSON.parse(JSON.stringify(rendered)) as Record<string, unknown>[];
    },
    ...mutationControls(http, mutate),
  };
}

export const githubEmulatorDescriptor: EmulatorDescriptor = {
  name: 'github',
  defaultPort: 12115,
  async start(options) {
    const emulator = await startGitHubEmulator(options);
    return Object.assign(emulator, {
      instructions: () => [
        `GitHub emulator listening on ${emulator.url} (user ${emulator.login})`,
        `credential: {"kind":"github","access_token":"${emulator.token}","api_base_url":"${emulator.url}"}`,
        `try: curl -H "Authorization: token ${emulator.token}" ${emulator.url}/user/repos`,
      ],
    });
  },
};
