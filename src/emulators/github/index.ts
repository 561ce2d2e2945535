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
import { fullName, GitHubStore } from './store.ts';
import { GitHubWire, type SecondaryRateLimit } from './wire.ts';
import { WebhookSender } from '../kit/webhook-sender.ts';
import { DEFAULT_GITHUB_WEBHOOK_SECRET, GitHubWebhooks, type GitHubWebhookRequest } from './webhooks.ts';
import { parseIssueKey } from './mutator.ts';

export type { GitHubCollection } from './mutator.ts';
export type { SecondaryRateLimit } from './wire.ts';
export { DEFAULT_GITHUB_WEBHOOK_SECRET } from './webhooks.ts';

/** A repository hook as the emulator keeps it (its secret included: tests sign with it). */
export interface RegisteredHook {
  /** `owner/name` of the hook's repository. */
  repository: string;
  repositoryId: number;
  id: number;
  url: string;
  secret: string | null;
  events: string[];
  active: boolean;
}

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
  /** How many requests a secondary rate limit answered. */
  readonly secondaryLimitAnswers: number;
  /** The authenticated user's login. */
  readonly login: string;
  readonly webhooks: WebhookSender;
  /** Every repository hook registered through the API. */
  hooks(): RegisteredHook[];
  /** Retitles an issue or pull request (`<repository id>#<number>`) and sends its `edited` webhook. */
  retitle(upstreamId: string, title: string): void;
  /** Deletes an issue (`<repository id>#<number>`) as an admin can, and sends its `deleted` webhook. */
  deleteIssue(upstreamId: string): void;
  /** The `issues`/`pull_request` webhook of `action` for an object, signed with `secret`, as GitHub would POST it (nothing is sent). */
  webhookRequest(upstreamId: string, action: string, secret: string): GitHubWebhookRequest;
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
  // GitHub does not retry failed deliveries: no retries unless asked for.
  const sender = new WebhookSender({ retryDelaysMs: options.webhookRetryDelaysMs ?? [], ...(options.logger ? { logger: options.logger } : {}) });
  const webhooks = new GitHubWebhooks(store, sender, () => base, options.webhookUrl ? { url: options.webhookUrl, secret: options.webhookSecret ?? DEFAULT_GITHUB_WEBHOOK_SECRET } : null);
  mutator.webhooks = webhooks;
  const api = new GitHubApi(store, () => base, webhooks);
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
  const controls = mutationControls(http, mutate);
  const find = (upstreamId: string) => {
    const key = parseIssueKey(upstreamId);
    const repo = key ? store.repos.get(key.repoId) : undefined;
    const issue = key ? repo?.issues.get(key.number) : undefined;
    if (!repo || !issue) throw new Error(`no issue or pull request ${upstreamId} in the GitHub emulator`);
    return { repo, issue };
  };

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
    get secondaryLimitAnswers() {
      return wire.secondaryLimitAnswers;
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
    webhooks: sender,
    hooks: () =>
      [...store.repos.values()].flatMap((repo) =>
        repo.hooks.map((hook) => ({ repository: fullName(repo), repositoryId: repo.id, id: hook.id, url: hook.config.url, secret: hook.config.secret, events: [...hook.events], active: hook.active })),
      ),
    retitle(upstreamId, title) {
      const { repo, issue } = find(upstreamId);
      mutator.retitle(repo, issue, title);
    },
    deleteIssue(upstreamId) {
      const { repo, issue } = find(upstreamId);
      if (issue.pr) throw new Error(`${upstreamId} is a pull request: GitHub cannot delete those`);
      mutator.deleteIssue(repo, issue);
    },
    webhookRequest(upstreamId, action, secret) {
      const { repo, issue } = find(upstreamId);
      const { event, payload } = webhooks.issuePayload(repo, issue, action);
      return webhooks.request(event, repo, payload, secret);
    },
    ...controls,
    close: async () => {
      await controls.close();
      await sender.close();
    },
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
        `webhooks: a sync with "webhooks": {"enabled": true} and SYNCLINE_PUBLIC_URL set registers a hook on each repository (POST /repos/{owner}/{repo}/hooks);`,
        `  or start with --webhook-url <Syncline URL>/v1/webhooks/in/<sync id> --webhook-secret S and give the sync "webhooks": {"enabled": true, "signing_secret": "S"}`,
        ...(options.webhookUrl ? [`  sending every change's webhook to ${options.webhookUrl} (never retried, as GitHub does not retry failed deliveries)`] : []),
      ],
    });
  },
};
