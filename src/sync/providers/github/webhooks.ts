/**
 * GitHub's repository webhooks (issue 24; docs/providers/github.md "Webhooks").
 *
 * - Signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` with the hook's
 *   secret; no timestamp (GitHub signs none), so no tolerance. Checked by
 *   `@octokit/webhooks-methods`' `verify` (the verifier `@octokit/webhooks` uses).
 * - Hints: the event (`X-GitHub-Event`) and the payload's repository id and issue / pull request
 *   number give the upstream ids the listings give (`<repository id>`, `<repository id>#<number>`).
 * - Registration: one repository hook per repository the token lists (`POST /repos/{owner}/{repo}/hooks`),
 *   all signed with one secret Syncline generates; `externalIds` are `owner/repo:hookId`.
 */

import { randomBytes } from 'node:crypto';
import { verify as verifyGitHub } from '@octokit/webhooks-methods';
import {
  UpstreamRequestError,
  WebhookMalformedError,
  type ParsedWebhook,
  type ProviderContext,
  type ProviderWebhooks,
  type RegisteredWebhook,
  type WebhookHint,
  type WebhookRequest,
  type WebhookVerdict,
} from '../provider.ts';
import { createOctokit, GitHubClient, type GitHubObject } from './client.ts';
import { listAllRepos, splitFullName } from './listings.ts';
import { issueUpstreamId, repoRef } from './objects.ts';

const REPOSITORY = 'github:repository';
const ISSUE = 'github:issue';
const PULL_REQUEST = 'github:pull_request';

/** The repository hook events each collection subscribes (docs/providers/github.md says what each covers). */
export const GITHUB_WEBHOOK_EVENTS: Readonly<Record<string, readonly string[]>> = {
  [REPOSITORY]: ['repository', 'push', 'star', 'fork'],
  [ISSUE]: ['issues', 'issue_comment'],
  [PULL_REQUEST]: ['pull_request', 'pull_request_review', 'pull_request_review_comment', 'issue_comment'],
};

export function githubWebhookEvents(collectionIds: readonly string[]): string[] {
  const events = new Set<string>();
  for (const id of collectionIds) for (const event of GITHUB_WEBHOOK_EVENTS[id] ?? []) events.add(event);
  return [...events].sort();
}

// ---- verify

export async function verifyGitHubSignature(request: WebhookRequest, secret: string): Promise<WebhookVerdict> {
  const signature = request.headers.get('x-hub-signature-256')?.trim();
  if (!signature) return { ok: false, code: 'signature_missing' };
  // The library signs the body as UTF-8 text: GitHub's JSON is, and other bytes must not verify.
  const body = request.rawBody.toString('utf8');
  if (!Buffer.from(body, 'utf8').equals(request.rawBody)) return { ok: false, code: 'signature_invalid' };
  return (await verifyGitHub(secret, body, signature).catch(() => false)) ? { ok: true } : { ok: false, code: 'signature_invalid' };
}

// ---- parse

/** Actions that change a repository's `open_issues_count` (it counts open issues and pull requests). */
const OPEN_COUNT_ACTIONS = new Set(['opened', 'closed', 'reopened', 'deleted', 'transferred']);

export function parseGitHubWebhook(request: WebhookRequest): ParsedWebhook {
  const event = request.headers.get('x-github-event');
  if (!event) throw new WebhookMalformedError('no X-GitHub-Event header');
  const deliveryId = request.headers.get('x-github-delivery');
  const payload = payloadOf(request);
  return { deliveryId, hints: hintsOf(event, payload) };
}

/** The JSON payload: the body (`content_type: json`), or its `payload` field (`content_type: form`). */
function payloadOf(request: WebhookRequest): GitHubObject {
  let text = request.rawBody.toString('utf8');
  if (/^application\/x-www-form-urlencoded/i.test(request.headers.get('content-type') ?? '')) {
    const field = new URLSearchParams(text).get('payload');
    if (field === null) throw new WebhookMalformedError('a form-encoded GitHub webhook without its payload field');
    text = field;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WebhookMalformedError('the GitHub webhook body is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WebhookMalformedError('the GitHub webhook body is not a JSON object');
  return parsed as GitHubObject;
}

function hintsOf(event: string, payload: GitHubObject): WebhookHint[] {
  const action = typeof payload.action === 'string' ? payload.action : null;
  switch (event) {
    case 'repository':
      return [repositoryHint(payload, action === 'deleted')];
    case 'push':
    case 'star':
    case 'fork':
      return [repositoryHint(payload, false)];
    case 'issues': {
      const issue = objectField(payload, 'issue', event);
      const hints = [scopedHint(payload, issue, action === 'deleted' || action === 'transferred')];
      // A transferred issue lives on under a new repository and number.
      const changes = payload.changes as GitHubObject | undefined;
      if (action === 'transferred' && changes && typeof changes === 'object') {
        const newIssue = changes.new_issue as GitHubObject | undefined;
        const newRepo = changes.new_repository as GitHubObject | undefined;
        if (newIssue && typeof newIssue.number === 'number' && newRepo && typeof newRepo.id === 'number') {
          hints.push({ collectionId: ISSUE, upstreamId: issueUpstreamId(newRepo.id, newIssue.number), deleted: false });
        }
      }
      if (action !== null && OPEN_COUNT_ACTIONS.has(action)) hints.push(repositoryHint(payload, false));
      return hints;
    }
    case 'issue_comment':
      // A comment changes its issue's (or pull request's) `comments` and `updated_at`; deleting one deletes no issue.
      return [scopedHint(payload, objectField(payload, 'issue', event), false)];
    case 'pull_request': {
      const hints = [scopedHint(payload, objectField(payload, 'pull_request', event), false, PULL_REQUEST)];
      if (action !== null && OPEN_COUNT_ACTIONS.has(action)) hints.push(repositoryHint(payload, false));
      return hints;
    }
    case 'pull_request_review':
    case 'pull_request_review_comment':
      return [scopedHint(payload, objectField(payload, 'pull_request', event), false, PULL_REQUEST)];
    default:
      return []; // `ping` and every event no collection maps
  }
}

function objectField(payload: GitHubObject, field: string, event: string): GitHubObject {
  const value = payload[field];
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new WebhookMalformedError(`a GitHub ${event} webhook without its ${field}`);
  return value as GitHubObject;
}

function repositoryIdOf(payload: GitHubObject): number {
  const repository = payload.repository as GitHubObject | undefined;
  if (!repository || typeof repository !== 'object' || typeof repository.id !== 'number') throw new WebhookMalformedError('a GitHub webhook without its repository id');
  return repository.id;
}

const repositoryHint = (payload: GitHubObject, deleted: boolean): WebhookHint => ({ collectionId: REPOSITORY, upstreamId: String(repositoryIdOf(payload)), deleted });

/** An issue's or pull request's hint; an `issue` carrying `pull_request` is a pull request. */
function scopedHint(payload: GitHubObject, item: GitHubObject, deleted: boolean, collectionId?: string): WebhookHint {
  if (typeof item.number !== 'number') throw new WebhookMalformedError('a GitHub webhook issue or pull request without its number');
  return { collectionId: collectionId ?? ('pull_request' in item ? PULL_REQUEST : ISSUE), upstreamId: issueUpstreamId(repositoryIdOf(payload), item.number), deleted };
}

// ---- registration

const hookConfig = (url: string, secret: string) => ({ url, content_type: 'json', secret, insecure_ssl: '0' });

const externalId = (fullName: string, hookId: number): string => `${fullName}:${hookId}`;

function parseExternalId(id: string): { fullName: string; hookId: number } | null {
  const match = /^([^/\s:]+\/[^/\s:]+):(\d+)$/.exec(id);
  return match ? { fullName: match[1] as string, hookId: Number(match[2]) } : null;
}

const hasStatus = (error: unknown, ...statuses: number[]): boolean => error instanceof UpstreamRequestError && statuses.includes(error.status);

/**
 * A hook on every repository the token lists, delivering `events` to `url`. Given `previous`, its
 * hooks are updated in place (same secret) and the repositories new since get one; hooks of
 * repositories no longer listed are removed. Repositories whose hooks the token may not manage
 * (403/404: no admin right, or no `admin:repo_hook` scope) are skipped: polling covers them.
 */
export async function registerGitHubHooks(context: ProviderContext, input: { url: string; collectionIds: string[]; previous: RegisteredWebhook | null }): Promise<RegisteredWebhook> {
  const client = new GitHubClient(createOctokit(context));
  const secret = input.previous?.secret ?? randomBytes(32).toString('hex');
  const body = { name: 'web', active: true, events: githubWebhookEvents(input.collectionIds), config: hookConfig(input.url, secret) };
  const before = new Map<string, number>();
  for (const id of input.previous?.externalIds ?? []) {
    const parsed = parseExternalId(id);
    if (parsed) before.set(parsed.fullName.toLowerCase(), parsed.hookId);
  }
  const { repos } = await listAllRepos(client);
  const externalIds: string[] = [];
  for (const repo of repos.map(repoRef)) {
    const params = splitFullName(repo.fullName);
    const key = repo.fullName.toLowerCase();
    const previousHook = before.get(key);
    before.delete(key);
    try {
      let hookId: number | null = null;
      if (previousHook !== undefined) hookId = await updateHook(client, params, previousHook, body);
      hookId ??= await createHook(client, params, body);
      externalIds.push(externalId(repo.fullName, hookId));
    } catch (error) {
      if (!hasStatus(error, 403, 404)) throw error;
    }
  }
  // Repositories gone from the listing since (deleted, renamed away, access lost): their hooks go too.
  for (const [fullName, hookId] of before) await deleteHook(client, fullName, hookId, [403, 404]);
  if (repos.length > 0 && externalIds.length === 0) {
    throw new UpstreamRequestError('the token may not manage the webhooks of any of its repositories (it needs admin rights and the admin:repo_hook scope, or "Webhooks: write")', 403, 'webhook_registration_refused');
  }
  return { externalIds, secret, expiresAt: null };
}

type HookBody = { name: string; active: boolean; events: string[]; config: ReturnType<typeof hookConfig> };

/** Updates a hook Syncline made earlier; null when it is gone (removed by hand). */
async function updateHook(client: GitHubClient, params: { owner: string; repo: string }, hookId: number, body: HookBody): Promise<number | null> {
  try {
    const { name: _name, ...patch } = body;
    await client.object('PATCH /repos/{owner}/{repo}/hooks/{hook_id}', { ...params, hook_id: hookId }, patch);
    return hookId;
  } catch (error) {
    if (hasStatus(error, 404)) return null;
    throw error;
  }
}

/** Creates the hook; GitHub refuses a second hook with the same URL (422): that one is taken over. */
async function createHook(client: GitHubClient, params: { owner: string; repo: string }, body: HookBody): Promise<number> {
  try {
    return hookIdOf(await client.object('POST /repos/{owner}/{repo}/hooks', params, body));
  } catch (error) {
    if (!hasStatus(error, 422)) throw error;
    const hooks = await client.page('GET /repos/{owner}/{repo}/hooks', { ...params, per_page: 100 });
    const same = hooks.items.find((hook) => (hook.config as GitHubObject | undefined)?.url === body.config.url);
    if (!same) throw error;
    const taken = await updateHook(client, params, hookIdOf(same), body);
    if (taken === null) throw error;
    return taken;
  }
}

function hookIdOf(hook: GitHubObject): number {
  if (typeof hook.id !== 'number') throw new Error('GitHub answered a hook without its id');
  return hook.id;
}

/** Removes a hook; `gone` are the answers that leave nothing to remove (404: the hook or its repository is gone). */
async function deleteHook(client: GitHubClient, fullName: string, hookId: number, gone: number[] = [404]): Promise<void> {
  try {
    await client.noContent('DELETE /repos/{owner}/{repo}/hooks/{hook_id}', { ...splitFullName(fullName), hook_id: hookId });
  } catch (error) {
    if (!hasStatus(error, ...gone)) throw error;
  }
}

export async function unregisterGitHubHooks(context: ProviderContext, registered: RegisteredWebhook): Promise<void> {
  const client = new GitHubClient(createOctokit(context));
  for (const id of registered.externalIds) {
    const parsed = parseExternalId(id);
    if (parsed) await deleteHook(client, parsed.fullName, parsed.hookId);
  }
}

export const githubWebhooks: ProviderWebhooks = {
  verify: (request, secret) => verifyGitHubSignature(request, secret),
  parse: parseGitHubWebhook,
  register: registerGitHubHooks,
  unregister: unregisterGitHubHooks,
};
