import { startGitHubEmulator, type GitHubEmulator } from '../../../src/emulators/github/index.ts';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import type { ConformanceTarget } from '../conformance/target.ts';
import { githubApiDescription } from '../api-descriptions/github.ts';

/** `<repository id>#<number>`: the issue's repository is found by its `repository_url`, a pull request's in `base.repo`. */
function scopedUpstreamId(emulator: GitHubEmulator, collectionId: string, object: Record<string, unknown>): string {
  if (collectionId === 'github:pull_request') return `${(object.base as { repo: { id: number } }).repo.id}#${object.number as number}`;
  const repo = emulator.objects('repository').find((r) => r.url === object.repository_url);
  if (!repo) throw new Error(`no repository ${String(object.repository_url)} in the emulator`);
  return `${repo.id as number}#${object.number as number}`;
}

let current: GitHubEmulator | null = null;
let changes = 0;

/** The upstream id of an issue of the emulator (the first, or the last). */
function issueId(emulator: GitHubEmulator, which: 'first' | 'last'): string {
  const issues = emulator.objects('issue');
  const issue = which === 'first' ? issues[0] : issues.at(-1);
  if (!issue) throw new Error('the GitHub emulator has no issue');
  return scopedUpstreamId(emulator, 'github:issue', issue);
}

type Fields = Record<string, unknown>;

/**
 * A pull request embeds its head and base repositories as GitHub answers them now: a repository's
 * own changes (stars, description, `pushed_at`) change every pull request's answer without
 * changing its `updated_at`, so no `sort=updated` read sees it. A record keeps them as of the pull
 * request's last change (`github:repository` carries the current ones): pull requests are the same
 * when everything else is equal and their branches name the same repositories.
 */
function sameObject(collectionId: string, data: Fields, upstream: Fields): boolean {
  if (collectionId !== 'github:pull_request') return canonicalJson(data) === canonicalJson(upstream);
  const branch = (value: unknown): unknown => (value && typeof value === 'object' ? { ...(value as Fields), repo: ((value as Fields).repo as Fields | null)?.id ?? null } : value);
  const reduce = (pull: Fields): Fields => ({ ...pull, head: branch(pull.head), base: branch(pull.base) });
  return canonicalJson(reduce(data)) === canonicalJson(reduce(upstream));
}

export const githubConformanceTarget: ConformanceTarget<GitHubEmulator> = {
  provider: 'github',
  collections: ['github:repository', 'github:issue', 'github:pull_request'],
  apiDescription: githubApiDescription,
  sameObject,
  // GitHub's secondary limits as its docs give them: 403 with retry-after (seconds) and a message naming the limit.
  documentedLimit: {
    name: "GitHub's secondary rate limits",
    impose: (emulator) => emulator.setSecondaryRateLimit({ rate: 0.15, retryAfterSeconds: 1, status: 403 }),
    lift: (emulator) => emulator.setSecondaryRateLimit(null),
    answered: (emulator) => emulator.secondaryLimitAnswers,
  },
  startEmulator: async ({ objects, randomSeed, rateLimit }) => {
    current = await startGitHubEmulator({ objects, randomSeed, token: 'ghp_conformance', rateLimit: rateLimit ?? null });
    return current;
  },
  credential: async (_api, emulator) => ({ kind: 'github', access_token: emulator.token, api_base_url: emulator.url }),
  upstreamId: (collectionId, object) => {
    if (collectionId === 'github:repository') return String(object.id);
    if (!current) throw new Error('the GitHub emulator is not running');
    return scopedUpstreamId(current, collectionId, object);
  },
  mutation: {
    collectionId: 'github:repository',
    create: { name: 'conformance-created', description: 'Conformance Created', private: true },
    update: { description: 'Conformance Updated', homepage: 'https://example.com/conformance' },
    showsUpdate: (object) => object.description === 'Conformance Updated' && object.homepage === 'https://example.com/conformance',
  },
  // Syncline registers a hook on every repository through the emulator's `POST /repos/{owner}/{repo}/hooks`.
  webhooks: {
    collectionId: 'github:issue',
    change: (emulator) => {
      const id = issueId(emulator, 'first');
      emulator.retitle(id, `Changed for a webhook ${++changes}`);
      return id;
    },
    remove: (emulator) => {
      const id = issueId(emulator, 'last');
      emulator.deleteIssue(id);
      return id;
    },
    secret: (emulator) => {
      const secret = emulator.hooks().at(-1)?.secret;
      if (!secret) throw new Error('no hook with a secret is registered in the GitHub emulator');
      return secret;
    },
    request: (emulator, upstreamId, secret) => emulator.webhookRequest(upstreamId, 'edited', secret),
  },
};
