import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../src/emulators/github/index.ts';
import { RateLimiter } from '../../src/sync/http/rate-limiter.ts';
import { createUpstreamFetch } from '../../src/sync/http/upstream-fetch.ts';
import { githubProvider } from '../../src/sync/providers/github/index.ts';
import { nextLink } from '../../src/sync/providers/http-json.ts';
import type { ListPage, ProviderSession } from '../../src/sync/providers/provider.ts';

describe('GitHub emulator', () => {
  let emulator: GitHubEmulator;

  const call = async (method: string, path: string, body?: unknown, auth: string | null = `token ${emulator.token}`) => {
    const response = await fetch(path.startsWith('http') ? path : `${emulator.url}${path}`, {
      method,
      headers: { accept: 'application/vnd.github+json', ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as any };
  };

  /** Every item of a listing, following `Link: rel="next"`. */
  const all = async (path: string) => {
    const items: any[] = [];
    let url: string | null = `${emulator.url}${path}`;
    let pages = 0;
    while (url) {
      const page = await call('GET', url);
      expect(page.status).toBe(200);
      items.push(...page.body);
      url = nextLink(page.headers);
      pages++;
    }
    return { items, pages };
  };

  beforeAll(async () => {
    emulator = await startGitHubEmulator({ objects: 120, randomSeed: 7 });
  });

  afterAll(async () => {
    await emulator?.close();
  });

  it('refuses requests without a valid token in GitHub’s error shape, accepts token and Bearer', async () => {
    const none = await call('GET', '/user', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ message: 'Requires authentication', documentation_url: expect.stringContaining('docs.github.com'), status: '401' });
    expect((await call('GET', '/user', undefined, 'token nope')).body.message).toBe('Bad credentials');
    const bearer = await call('GET', '/user', undefined, `Bearer ${emulator.token}`);
    expect(bearer.status).toBe(200);
    expect(bearer.body).toMatchObject({ login: emulator.login, type: 'User' });
    expect(bearer.headers.get('x-ratelimit-resource')).toBe('core');
    expect(Number(bearer.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 5);
    const missing = await call('GET', '/repos/nobody/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
  });

  it('lists repositories with per_page, Link next/last, sort and direction', async () => {
    const repos = emulator.objects('repository');
    expect(repos.length).toBe(6);
    const first = await call('GET', '/user/repos?per_page=4&sort=full_name&affiliation=owner,collaborator,organization_member');
    expect(first.body).toHaveLength(4);
    expect(first.headers.get('link')).toMatch(/page=2>; rel="next", <[^>]*page=2>; rel="last"/);
    const { items, pages } = await all('/user/repos?per_page=4&sort=full_name');
    expect(pages).toBe(2);
    expect(items.map((r) => r.full_name)).toEqual([...repos.map((r) => r.full_name as string)].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
    expect(items[0]).toMatchObject({ owner: { login: expect.any(String) }, private: expect.any(Boolean), updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    const byUpdated = (await call('GET', '/user/repos?sort=updated&direction=desc')).body as any[];
    const times = byUpdated.map((r) => r.updated_at as string);
    expect([...times].sort().reverse()).toEqual(times);
    const owned = (await call('GET', '/user/repos?affiliation=owner')).body as any[];
    expect(owned.every((r) => r.owner.login === emulator.login)).toBe(true);
    expect((await call('GET', '/user/repos?type=owner&affiliation=owner')).status).toBe(422);
    // One repository's answer is the full-repository: the list's fields and the counts lists leave out.
    const byId = await call('GET', `/repositories/${items[0].id}`);
    expect(byId.body).toEqual({ ...items[0], network_count: items[0].forks_count, subscribers_count: expect.any(Number) });
  });

  it('lists issues with pull requests among them, filtered by state and since; pulls on their own', async () => {
    const repo = emulator.objects('repository')[0] as { full_name: string };
    const { items } = await all(`/repos/${repo.full_name}/issues?state=all&per_page=7&sort=updated&direction=asc`);
    const pulls = items.filter((i) => 'pull_request' in i);
    const issues = items.filter((i) => !('pull_request' in i));
    expect(pulls.length + issues.length).toBeGreaterThan(0);
    const numbers = items.map((i) => i.number as number).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(numbers.length);
    // Numbers follow creation, as on GitHub.
    const created = [...items].sort((a, b) => a.number - b.number).map((i) => i.created_at as string);
    expect([...created].sort()).toEqual(created);
    const updated = items.map((i) => i.updated_at as string);
    expect([...updated].sort()).toEqual(updated);
    const open = (await all(`/repos/${repo.full_name}/issues?state=open`)).items;
    expect(open.every((i) => i.state === 'open')).toBe(true);
    const defaultList = (await call('GET', `/repos/${repo.full_name}/issues`)).body as any[];
    expect(defaultList.every((i) => i.state === 'open')).toBe(true);
    const cut = updated[Math.floor(updated.length / 2)] as string;
    const since = (await all(`/repos/${repo.full_name}/issues?state=all&since=${cut}`)).items;
    expect(since.map((i) => i.number).sort()).toEqual(items.filter((i) => i.updated_at >= cut).map((i) => i.number).sort());
    const prList = (await all(`/repos/${repo.full_name}/pulls?state=all&sort=updated&direction=desc&per_page=3`)).items;
    expect(prList.map((p) => p.number).sort()).toEqual(pulls.map((p) => p.number).sort());
    if (prList[0]) expect(prList[0]).toMatchObject({ head: { ref: expect.any(String) }, base: { repo: { full_name: repo.full_name } }, merged_at: expect.toSatisfy((v) => v === null || typeof v === 'string') });
    const times = prList.map((p) => p.updated_at as string);
    expect([...times].sort().reverse()).toEqual(times);
    const all_ = [...emulator.objects('issue'), ...emulator.objects('pull_request')];
    expect(all_.length).toBe(240);
  });

  it('creates, updates and deletes repositories and issues; deleted issues answer 410', async () => {
    const created = await call('POST', '/user/repos', { name: 'made-by-test', description: 'first', private: true });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'made-by-test', full_name: `${emulator.login}/made-by-test`, private: true, visibility: 'private', description: 'first' });
    expect((await call('POST', '/user/repos', { name: 'made-by-test' })).body).toMatchObject({ message: 'Repository creation failed.', errors: [expect.objectContaining({ field: 'name' })], status: '422' });
    const patched = await call('PATCH', `/repos/${emulator.login}/made-by-test`, { description: 'second' });
    expect(patched.body.description).toBe('second');
    const issue = await call('POST', `/repos/${emulator.login}/made-by-test/issues`, { title: 'Broken', body: 'It is', labels: ['bug'] });
    expect(issue.status).toBe(201);
    expect(issue.body).toMatchObject({ number: 1, title: 'Broken', state: 'open', labels: [expect.objectContaining({ name: 'bug' })], user: { login: emulator.login } });
    expect((await call('POST', `/repos/${emulator.login}/made-by-test/issues`, { body: 'no title' })).status).toBe(422);
    const closed = await call('PATCH', `/repos/${emulator.login}/made-by-test/issues/1`, { state: 'closed' });
    expect(closed.body).toMatchObject({ state: 'closed', state_reason: 'completed', closed_at: expect.any(String) });
    expect(emulator.objects('repository').find((r) => r.name === 'made-by-test')).toMatchObject({ open_issues_count: 0 });
    const deleted = await call('DELETE', `/repos/${emulator.login}/made-by-test`);
    expect(deleted.status).toBe(204);
    expect((await call('GET', `/repositories/${created.body.id}`)).status).toBe(404);

    let made;
    do made = emulator.mutateRandomly(5, ['issue']);
    while (made.deleted.length === 0);
    const [repoId, number] = (made.deleted[0] as string).split('#');
    const owner = emulator.objects('repository').find((r) => String(r.id) === repoId) as { full_name: string };
    const answer = await call('GET', `/repos/${owner.full_name}/issues/${number}`);
    expect(answer.status).toBe(410);
    expect(answer.body).toMatchObject({ message: 'This issue was deleted', status: '410' });
    expect(emulator.objects('issue').some((i) => i.repository_url === `${emulator.url}/repos/${owner.full_name}` && String(i.number) === number)).toBe(false);
  });

  it('answers the API version a request names, the default without one, and 400 to a version GitHub does not serve', async () => {
    const version = (value: string | null) =>
      fetch(`${emulator.url}/user`, { headers: { authorization: `token ${emulator.token}`, ...(value ? { 'x-github-api-version': value } : {}) } });
    expect((await version(null)).headers.get('x-github-api-version-selected')).toBe('2022-11-28');
    expect((await version('2026-03-10')).headers.get('x-github-api-version-selected')).toBe('2026-03-10');
    const refused = await version('2021-01-01');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/^Unsupported API version/);
  });

  it('answers the primary rate limit with 403 and x-ratelimit-remaining 0, and secondary limits with retry-after', async () => {
    emulator.setRateLimit({ requests: 3, windowMs: 60_000 });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await call('GET', '/user'));
      expect(answers.slice(0, 3).map((a) => Number(a.headers.get('x-ratelimit-remaining')))).toEqual([2, 1, 0]);
      expect(answers[2]!.headers.get('x-ratelimit-used')).toBe('3');
      const refused = answers[3]!;
      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(refused.body.message).toMatch(/^API rate limit exceeded/);
    } finally {
      emulator.setRateLimit(null);
    }
    emulator.setSecondaryRateLimit({ rate: 1, retryAfterSeconds: 7 });
    try {
      const secondary = await call('GET', '/user');
      expect(secondary.status).toBe(403);
      expect(secondary.headers.get('retry-after')).toBe('7');
      expect(secondary.body.message).toMatch(/secondary rate limit/);
    } finally {
      emulator.setSecondaryRateLimit(null);
    }
  });

  it('mutates randomly across the collections and reports what changed', async () => {
    const before = new Map(emulator.objects('issue').map((i) => [i.id, i.updated_at]));
    const made = emulator.mutateRandomly(40);
    expect(made.created.length + made.updated.length + made.deleted.length).toBeGreaterThan(20);
    const after = emulator.objects('issue');
    expect(after.some((i) => before.get(i.id) !== i.updated_at)).toBe(true);
  });
});

describe('GitHub provider against the emulator, through the engine’s fetch', () => {
  let emulator: GitHubEmulator;
  let session: ProviderSession;

  beforeAll(async () => {
    emulator = await startGitHubEmulator({ objects: 60, randomSeed: 11 });
    const limiter = new RateLimiter({ allowedRequests: 200, intervalSeconds: 1, maxConcurrentRequests: 2 });
    const fetch = createUpstreamFetch({ limiter, signal: new AbortController().signal, isRateLimited: githubProvider.isRateLimited!, baseDelayMs: 10 });
    session = githubProvider.connect({
      credential: { kind: 'github', accessToken: emulator.token, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
      fetch,
      oauth: null,
    });
  });

  afterAll(async () => {
    await emulator?.close();
  });

  const backfill = async (collectionId: string) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ListPage = await session.listPage(collectionId, cursor);
      ids.push(...page.objects.map((o) => o.upstreamId));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  };

  it('tells GitHub’s rate limit 403s from permission 403s', () => {
    const check = githubProvider.isRateLimited!;
    const headers = (h: Record<string, string>) => new Headers(h);
    expect(check({ status: 403, headers: headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000000' }), body: '{"message":"API rate limit exceeded for user ID 1."}' })).toBe(true);
    expect(check({ status: 403, headers: headers({ 'retry-after': '60', 'x-ratelimit-remaining': '4000' }), body: '{}' })).toBe(true);
    expect(check({ status: 403, headers: headers({ 'x-ratelimit-remaining': '4000' }), body: '{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}' })).toBe(60_000); // no retry-after: GitHub asks for at least a minute
    expect(check({ status: 403, headers: headers({ 'x-ratelimit-remaining': '4000' }), body: '{"message":"Resource not accessible by personal access token"}' })).toBe(false);
  });

  it('backfills every collection across repositories, waiting out secondary rate limit 403s', async () => {
    emulator.setSecondaryRateLimit({ rate: 0.3, retryAfterSeconds: 0 });
    try {
      const issues = await backfill('github:issue');
      const pulls = await backfill('github:pull_request');
      const repos = await backfill('github:repository');
      expect(repos.sort()).toEqual(emulator.objects('repository').map((r) => String(r.id)).sort());
      expect(new Set(issues).size).toBe(emulator.objects('issue').length);
      expect(new Set(pulls).size).toBe(emulator.objects('pull_request').length);
      expect(emulator.requestLog.some((e) => e.status === 403)).toBe(true);
    } finally {
      emulator.setSecondaryRateLimit(null);
    }
  });

  it('hands on an issue changed twice within one second, and not again once applied', async () => {
    let cursor = await session.initialChangesCursor('github:issue');
    const drained = await session.changesSince('github:issue', cursor);
    cursor = drained.cursor;
    const created = await session.mutate('github:issue', 'create', { upstreamId: null, data: { repository: emulator.objects('repository')[0]!.full_name, title: 'Twice' }, idempotencyKey: null });
    expect(created.upstreamId).toMatch(/^\d+#\d+$/);
    let page = await session.changesSince('github:issue', cursor);
    expect(page.objects.map((o) => o.upstreamId)).toContain(created.upstreamId);
    cursor = page.cursor;
    await session.mutate('github:issue', 'update', { upstreamId: created.upstreamId, data: { title: 'Twice, again' }, idempotencyKey: null });
    page = await session.changesSince('github:issue', cursor);
    const again = page.objects.find((o) => o.upstreamId === created.upstreamId);
    expect(again?.data.title).toBe('Twice, again');
    cursor = page.cursor;
    page = await session.changesSince('github:issue', cursor);
    expect(page.objects.filter((o) => !o.deleted && o.upstreamId === created.upstreamId)).toEqual([]);
  });

  it('finds a deleted open issue at the next poll (its repository’s open_issues_count dropped), a closed one within a round-robin sweep', async () => {
    let cursor = await session.initialChangesCursor('github:issue');
    const key = (i: Record<string, unknown>) => `${emulator.objects('repository').find((r) => r.url === i.repository_url)?.id as number}#${i.number as number}`;
    for (const wantOpen of [true, false]) {
      let deleted: string | undefined;
      for (let attempt = 0; attempt < 200 && !deleted; attempt++) {
        cursor = (await session.changesSince('github:issue', cursor)).cursor;
        const states = new Map(emulator.objects('issue').map((i) => [key(i), i.state]));
        const made = emulator.mutateRandomly(1, ['issue']);
        const id = made.deleted[0];
        if (id && (states.get(id) === 'open') === wantOpen) deleted = id;
      }
      expect(deleted, 'a deleted issue').toBeDefined();
      const polls = emulator.objects('repository').length;
      let found = 0;
      for (let poll = 1; poll <= polls && !found; poll++) {
        const page = await session.changesSince('github:issue', cursor);
        cursor = page.cursor;
        if (page.objects.some((o) => o.deleted && o.upstreamId === deleted)) found = poll;
      }
      if (wantOpen) expect(found).toBe(1);
      else expect(found).toBeGreaterThan(0);
    }
  });

  it('updates pull requests by upstream id and refuses what GitHub’s REST API cannot do', async () => {
    const pr = emulator.objects('pull_request')[0] as { number: number; base: { repo: { id: number } } };
    const upstreamId = `${pr.base.repo.id}#${pr.number}`;
    const updated = await session.mutate('github:pull_request', 'update', { upstreamId, data: { title: 'Retitled' }, idempotencyKey: null });
    expect(updated).toMatchObject({ upstreamId, data: { title: 'Retitled', number: pr.number }, deleted: false });
    await expect(session.mutate('github:issue', 'delete', { upstreamId, data: {}, idempotencyKey: null })).rejects.toMatchObject({ code: 'mutation_not_supported' });
    await expect(session.mutate('github:issue', 'create', { upstreamId: null, data: { title: 'nowhere' }, idempotencyKey: null })).rejects.toMatchObject({ code: 'repository_required' });
    await expect(session.mutate('github:issue', 'update', { upstreamId: '999999#1', data: { title: 'x' }, idempotencyKey: null })).rejects.toMatchObject({ status: 404 });
  });

  it('tombstones a repository the token no longer sees, with its issues and pull requests', async () => {
    const cursors = {
      repository: await session.initialChangesCursor('github:repository'),
      issue: await session.initialChangesCursor('github:issue'),
      pull_request: await session.initialChangesCursor('github:pull_request'),
    };
    const victim = emulator.objects('repository')[1] as { id: number; full_name: string };
    const issueIds = emulator.objects('issue').filter((i) => i.repository_url === `${emulator.url}/repos/${victim.full_name}`).map((i) => `${victim.id}#${i.number as number}`);
    const pullIds = emulator.objects('pull_request').filter((p) => (p.base as { repo: { id: number } }).repo.id === victim.id).map((p) => `${victim.id}#${p.number as number}`);
    const gone = await fetch(`${emulator.url}/repos/${victim.full_name}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulator.token}` } });
    expect(gone.status).toBe(204);
    const tombstones = async (collection: keyof typeof cursors) => (await session.changesSince(`github:${collection}`, cursors[collection])).objects.filter((o) => o.deleted).map((o) => o.upstreamId);
    expect(await tombstones('repository')).toEqual([String(victim.id)]);
    const issueTombstones = await tombstones('issue');
    for (const id of issueIds) expect(issueTombstones).toContain(id);
    const pullTombstones = await tombstones('pull_request');
    for (const id of pullIds) expect(pullTombstones).toContain(id);
  });
});

describe('GitHub provider: deletes in repositories of more than one page', () => {
  it('reads large repositories in full round robin and tombstones a deleted closed issue within a sweep', async () => {
    const emulator = await startGitHubEmulator({ objects: 200, repositories: 2, randomSeed: 5 });
    try {
      const session = githubProvider.connect({
        credential: { kind: 'github', accessToken: emulator.token, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
        fetch,
        oauth: null,
      });
      let cursor = await session.initialChangesCursor('github:issue');
      const highest = Object.values(JSON.parse(cursor).repos as Record<string, [string, number, number]>).map(([, n]) => n);
      expect(highest.every((n) => n > 100)).toBe(true);
      const key = (i: Record<string, unknown>) => `${emulator.objects('repository').find((r) => r.url === i.repository_url)?.id as number}#${i.number as number}`;
      let deleted: string | undefined;
      for (let attempt = 0; attempt < 300 && !deleted; attempt++) {
        cursor = (await session.changesSince('github:issue', cursor)).cursor;
        const states = new Map(emulator.objects('issue').map((i) => [key(i), i.state]));
        const id = emulator.mutateRandomly(1, ['issue']).deleted[0];
        if (id && states.get(id) === 'closed') deleted = id;
      }
      expect(deleted).toBeDefined();
      let found = 0;
      for (let poll = 1; poll <= 3 && !found; poll++) {
        const page = await session.changesSince('github:issue', cursor);
        cursor = page.cursor;
        if (page.objects.some((o) => o.deleted && o.upstreamId === deleted)) found = poll;
      }
      expect(found).toBeGreaterThan(0);
    } finally {
      await emulator.close();
    }
  });
});
