import { verify } from '@octokit/webhooks-methods';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../../../src/emulators/github/index.ts';
import { githubProvider } from '../../../../src/sync/providers/github/index.ts';
import type { ProviderContext, ProviderSession, ProviderWebhooks, WebhookHint } from '../../../../src/sync/providers/provider.ts';
import { WebhookInbox, type ArrivedRequest } from '../../../support/webhook-inbox.ts';

const webhooks = githubProvider.webhooks as ProviderWebhooks;

const context = (emulator: GitHubEmulator): ProviderContext => ({
  credential: { kind: 'github', accessToken: emulator.token, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
  fetch: globalThis.fetch,
  oauth: null,
});

const hintsOf = (r: ArrivedRequest): WebhookHint[] => webhooks.parse({ method: 'POST', url: 'http://127.0.0.1/', headers: r.headers, rawBody: r.rawBody }).hints;

describe('GitHub webhooks against the emulator', () => {
  let emulator: GitHubEmulator;
  const receiver = new WebhookInbox('/v1/webhooks/in/sync-1');
  let url: string;
  /** The deliveries of one GitHub event (X-GitHub-Event). */
  const deliveriesOf = (event: string): ArrivedRequest[] => receiver.arrived.filter((r) => r.headers.get('x-github-event') === event);

  beforeAll(async () => {
    await receiver.start();
    url = receiver.url;
  });

  afterEach(async () => {
    await emulator?.close();
    receiver.reset();
  });

  afterAll(async () => {
    await receiver.close();
  });

  it('registers a hook per repository through the API; a change arrives signed with the registration’s secret, in GitHub’s headers', async () => {
    emulator = await startGitHubEmulator({ objects: 40, randomSeed: 11 });
    const registered = await webhooks.register!(context(emulator), { url, collectionIds: ['github:issue', 'github:pull_request'], previous: null, previousUrl: null });
    const repos = emulator.objects('repository');
    expect(registered.expiresAt).toBeNull();
    expect(registered.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(registered.externalIds.sort()).toEqual(emulator.hooks().map((h) => `${h.repository}:${h.id}`).sort());
    expect(emulator.hooks()).toHaveLength(repos.length);
    for (const hook of emulator.hooks()) {
      expect(hook).toMatchObject({ url, secret: registered.secret, active: true, events: ['issue_comment', 'issues', 'pull_request', 'pull_request_review', 'pull_request_review_comment'] });
    }
    // A new hook is pinged at once (no hints).
    await emulator.webhooks.settled();
    expect(deliveriesOf('ping')).toHaveLength(repos.length);
    expect(hintsOf(deliveriesOf('ping')[0]!)).toEqual([]);

    const issue = emulator.objects('issue')[0] as { number: number; repository_url: string };
    const repo = repos.find((r) => r.url === issue.repository_url) as { id: number; full_name: string };
    const upstreamId = `${repo.id}#${issue.number}`;
    emulator.retitle(upstreamId, 'Retitled by the webhook test');
    await emulator.webhooks.settled();
    const [delivery] = deliveriesOf('issues');
    expect(delivery).toBeDefined();
    const hook = emulator.hooks().find((h) => h.repositoryId === repo.id);
    expect(Object.fromEntries(delivery!.headers)).toMatchObject({
      'content-type': 'application/json',
      'user-agent': expect.stringMatching(/^GitHub-Hookshot\//),
      'x-github-delivery': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'x-github-hook-id': String(hook!.id),
      'x-github-hook-installation-target-id': String(repo.id),
      'x-github-hook-installation-target-type': 'repository',
      'x-hub-signature': expect.stringMatching(/^sha1=[0-9a-f]{40}$/),
    });
    expect(await verify(registered.secret, delivery!.text, delivery!.headers.get('x-hub-signature-256')!)).toBe(true);
    expect(await webhooks.verify({ method: 'POST', url, headers: delivery!.headers, rawBody: delivery!.rawBody }, registered.secret, new Date())).toEqual({ ok: true });
    const payload = delivery!.json();
    expect(payload).toMatchObject({ action: 'edited', changes: { title: { from: expect.any(String) } }, issue: { number: issue.number, title: 'Retitled by the webhook test' }, repository: { id: repo.id }, sender: { login: emulator.login } });
    expect(hintsOf(delivery!)).toEqual([{ collectionId: 'github:issue', upstreamId, deleted: false }]);

    // Registering again (renewal) updates the same hooks; removing them deletes every one, twice is harmless.
    const again = await webhooks.register!(context(emulator), { url, collectionIds: ['github:issue'], previous: registered, previousUrl: url });
    expect(again.externalIds.sort()).toEqual(registered.externalIds.sort());
    expect(again.secret).toBe(registered.secret);
    expect(emulator.hooks().every((h) => h.events.join() === 'issue_comment,issues')).toBe(true);
    await webhooks.unregister!(context(emulator), again);
    expect(emulator.hooks()).toEqual([]);
    await webhooks.unregister!(context(emulator), again);
  });

  it('serves GitHub’s hook endpoints: the hook shape with its secret masked, update, 404s, delete', async () => {
    emulator = await startGitHubEmulator({ objects: 20, randomSeed: 16, repositories: 1 });
    const [repo] = emulator.objects('repository') as { full_name: string }[];
    const call = async (method: string, path: string, body?: unknown) => {
      const answer = await fetch(`${emulator.url}/repos/${repo!.full_name}/hooks${path}`, {
        method,
        headers: { authorization: `token ${emulator.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await answer.text();
      return { status: answer.status, body: text ? JSON.parse(text) : null };
    };
    expect(await call('POST', '', { config: { content_type: 'json' } })).toMatchObject({ status: 422, body: { message: 'Validation Failed' } });
    expect((await call('POST', '', { name: 'web', config: { url }, events: ['nope'] })).status).toBe(422);
    const created = await call('POST', '', { name: 'web', active: true, events: ['issues'], config: { url, content_type: 'json', secret: 's3cret', insecure_ssl: '0' } });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect(created.body).toEqual({
      type: 'Repository',
      id,
      name: 'web',
      active: true,
      events: ['issues'],
      config: { url, content_type: 'json', insecure_ssl: '0', secret: '********' },
      updated_at: expect.stringMatching(/Z$/),
      created_at: expect.stringMatching(/Z$/),
      url: `${emulator.url}/repos/${repo!.full_name}/hooks/${id}`,
      test_url: `${emulator.url}/repos/${repo!.full_name}/hooks/${id}/test`,
      ping_url: `${emulator.url}/repos/${repo!.full_name}/hooks/${id}/pings`,
      deliveries_url: `${emulator.url}/repos/${repo!.full_name}/hooks/${id}/deliveries`,
      last_response: { code: null, status: 'unused', message: null },
    });
    expect((await call('GET', '')).body).toEqual([created.body]);
    const patched = await call('PATCH', `/${id}`, { add_events: ['pull_request'], active: false });
    expect(patched.body).toMatchObject({ events: ['issues', 'pull_request'], active: false });
    await emulator.webhooks.settled();
    const pings = deliveriesOf('ping');
    expect(pings).toHaveLength(1);
    expect(pings[0]!.json()).toMatchObject({ zen: expect.any(String), hook_id: id, hook: { id, config: { secret: '********' } }, repository: { full_name: repo!.full_name } });
    expect(await verify('s3cret', pings[0]!.text, pings[0]!.headers.get('x-hub-signature-256')!)).toBe(true);
    expect((await call('GET', '/999')).status).toBe(404);
    expect((await call('DELETE', `/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/${id}`)).status).toBe(404);
    expect(emulator.hooks()).toEqual([]);
  });

  it('takes over a hook already there for the same URL (GitHub answers 422 to a second one)', async () => {
    emulator = await startGitHubEmulator({ objects: 20, randomSeed: 12, repositories: 1 });
    const [repo] = emulator.objects('repository') as { full_name: string }[];
    const made = await fetch(`${emulator.url}/repos/${repo!.full_name}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${emulator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config: { url, content_type: 'json' }, events: ['issues'] }),
    });
    expect(made.status).toBe(201);
    const duplicate = await fetch(`${emulator.url}/repos/${repo!.full_name}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${emulator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config: { url, content_type: 'json' }, events: ['issues', 'push'] }),
    });
    expect(duplicate.status).toBe(422);
    expect(await duplicate.json()).toMatchObject({ message: 'Validation Failed', errors: [{ resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' }] });
    const registered = await webhooks.register!(context(emulator), { url, collectionIds: ['github:issue'], previous: null, previousUrl: null });
    const hooks = emulator.hooks();
    expect(hooks).toHaveLength(1);
    expect(registered.externalIds).toEqual([`${repo!.full_name}:${hooks[0]!.id}`]);
    expect(hooks[0]!.secret).toBe(registered.secret);
  });

  it('does not retry a delivery answered 500, as GitHub does not; retries when asked to (webhookRetryDelaysMs)', async () => {
    emulator = await startGitHubEmulator({ objects: 20, randomSeed: 13, webhookUrl: url, webhookSecret: 'cli-secret' });
    receiver.answerNext(500);
    const issue = emulator.objects('issue')[0] as { number: number; repository_url: string };
    const repo = emulator.objects('repository').find((r) => r.url === issue.repository_url) as { id: number };
    emulator.retitle(`${repo.id}#${issue.number}`, 'first');
    await emulator.webhooks.settled();
    expect(emulator.webhooks.attempts.map((a) => [a.endpointId, a.attempt, a.status])).toEqual([['cli', 1, 500]]);
    expect(receiver.arrived).toHaveLength(1);
    await emulator.close();

    emulator = await startGitHubEmulator({ objects: 20, randomSeed: 13, webhookUrl: url, webhookSecret: 'cli-secret', webhookRetryDelaysMs: [5, 5, 5] });
    receiver.reset();
    receiver.answerNext(500, 500);
    emulator.retitle(`${repo.id}#${issue.number}`, 'second');
    await emulator.webhooks.settled();
    expect(emulator.webhooks.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    // Every attempt is the same delivery, signed with the command line's secret.
    const ids = new Set(receiver.arrived.map((r) => r.headers.get('x-github-delivery')));
    expect(ids.size).toBe(1);
    for (const r of receiver.arrived) expect(await verify('cli-secret', r.text, r.headers.get('x-hub-signature-256')!)).toBe(true);
  });

  it('sends a webhook for every random change, whose hints name every object changed', async () => {
    emulator = await startGitHubEmulator({ objects: 60, randomSeed: 14, webhookUrl: url });
    const made = emulator.mutateRandomly(40);
    await emulator.webhooks.settled();
    const hints = receiver.arrived.flatMap(hintsOf);
    const hinted = new Set(hints.map((h) => h.upstreamId));
    const deletedRepos = new Set(hints.filter((h) => h.collectionId === 'github:repository' && h.deleted).map((h) => h.upstreamId));
    const ids = [...made.created, ...made.updated, ...made.deleted];
    expect(ids.length).toBeGreaterThanOrEqual(40);
    for (const id of ids) {
      // A deleted repository's issues go with it: GitHub sends only the repository's `deleted`.
      const coveredByRepo = id.includes('#') && deletedRepos.has(id.split('#')[0] as string);
      expect(hinted.has(id) || coveredByRepo, id).toBe(true);
    }
    for (const id of made.deleted.filter((d) => !d.includes('#') || !deletedRepos.has(d.split('#')[0] as string))) {
      expect(hints.some((h) => h.upstreamId === id && h.deleted), id).toBe(true);
    }
  });

});

describe('GitHub fetchObject against the emulator', () => {
  let emulator: GitHubEmulator;
  let session: ProviderSession;

  beforeAll(async () => {
    emulator = await startGitHubEmulator({ objects: 40, randomSeed: 15 });
    session = githubProvider.connect(context(emulator));
  });

  afterAll(async () => {
    await emulator.close();
  });

    it('reads a repository, an issue and a pull request in the listings’ shape', async () => {
    const [repo] = emulator.objects('repository');
    const found = await session.fetchObject!('github:repository', String(repo!.id));
    expect(found).toMatchObject({ upstreamId: String(repo!.id), deleted: false, data: repo });
    expect(found!.data).toEqual(repo);

    const issue = emulator.objects('issue').find((i) => i.state === 'closed') as Record<string, unknown>;
    const issueRepo = emulator.objects('repository').find((r) => r.url === issue.repository_url) as { id: number };
    const readIssue = await session.fetchObject!('github:issue', `${issueRepo.id}#${issue.number as number}`);
    expect(readIssue!.data).toEqual(issue); // the single issue's `closed_by` is not in the listing
    expect(readIssue!.upstreamUpdatedAt?.toISOString().replace('.000', '')).toBe(issue.updated_at);

    const pull = emulator.objects('pull_request')[0] as Record<string, unknown> & { base: { repo: { id: number } }; number: number };
    const readPull = await session.fetchObject!('github:pull_request', `${pull.base.repo.id}#${pull.number}`);
    expect(readPull!.data).toEqual(pull); // without the single pull request's `mergeable`, `commits`…
  });

  it('answers null for what is gone: a deleted issue (410), an unknown number, a deleted repository, a pull request asked as an issue', async () => {
    const issue = emulator.objects('issue')[1] as Record<string, unknown>;
    const repo = emulator.objects('repository').find((r) => r.url === issue.repository_url) as { id: number };
    const id = `${repo.id}#${issue.number as number}`;
    emulator.deleteIssue(id);
    expect(await session.fetchObject!('github:issue', id)).toBeNull();
    expect(await session.fetchObject!('github:issue', `${repo.id}#99999`)).toBeNull();
    const pull = emulator.objects('pull_request')[0] as { base: { repo: { id: number } }; number: number };
    expect(await session.fetchObject!('github:issue', `${pull.base.repo.id}#${pull.number}`)).toBeNull();
    expect(await session.fetchObject!('github:repository', '424242')).toBeNull();
    expect(await session.fetchObject!('github:issue', '424242#1')).toBeNull();
    const [, second] = emulator.objects('repository') as { full_name: string; id: number }[];
    const removed = await fetch(`${emulator.url}/repos/${second!.full_name}`, { method: 'DELETE', headers: { authorization: `token ${emulator.token}` } });
    expect(removed.status).toBe(204);
    expect(await session.fetchObject!('github:repository', String(second!.id))).toBeNull();
  });
});
