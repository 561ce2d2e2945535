import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJiraEmulator, type JiraEmulator } from '../../src/emulators/jira/index.ts';

const JIRA_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(emulator: JiraEmulator, method: string, path: string, options: { body?: unknown; auth?: string | null } = {}): Promise<Answer> {
  const auth = options.auth === undefined ? `${emulator.email}:${emulator.apiToken}` : options.auth;
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { accept: 'application/json', ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const search = (params: Record<string, string>) => `/rest/api/3/search/jql?${new URLSearchParams(params)}`;

/** Every issue of a JQL search, following nextPageToken. */
async function searchAll(emulator: JiraEmulator, params: Record<string, string>): Promise<{ issues: any[]; pages: number }> {
  const issues: any[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await call(emulator, 'GET', search({ ...params, ...(token ? { nextPageToken: token } : {}) }));
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    issues.push(...page.body.issues);
    expect(page.body.isLast).toBe(page.body.nextPageToken === undefined);
    token = page.body.nextPageToken;
    pages++;
  } while (token);
  return { issues, pages };
}

/** `date` as a JQL minute in `timeZone`. */
function jqlMinute(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}/${get('month')}/${get('day')} ${get('hour')}:${get('minute')}`;
}

describe('Jira emulator: reads', () => {
  let emulator: JiraEmulator;
  beforeAll(async () => {
    emulator = await startJiraEmulator({ objects: 120, randomSeed: 7, email: 'me@example.com', apiKey: 'token-1', timeZone: 'America/New_York' });
  });
  afterAll(() => emulator.close());

  it('refuses requests without valid Basic credentials with Jira\'s error body', async () => {
    for (const auth of [null, 'me@example.com:wrong', 'other@example.com:token-1']) {
      const answer = await call(emulator, 'GET', '/rest/api/3/myself', { auth });
      expect(answer.status).toBe(401);
      expect(answer.body.errorMessages[0]).toMatch(/not authenticated/);
      expect(answer.body.errors).toEqual({});
    }
  });

  it('answers /myself with the account and its time zone', async () => {
    const me = await call(emulator, 'GET', '/rest/api/3/myself');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ emailAddress: 'me@example.com', timeZone: 'America/New_York', accountType: 'atlassian', active: true });
  });

  it('lists every issue through nextPageToken pages, in the JQL order, in Jira\'s shape', async () => {
    const { issues, pages } = await searchAll(emulator, { jql: 'created >= "1970/01/01 00:00" ORDER BY created ASC, key ASC', fields: '*all', maxResults: '50' });
    expect(pages).toBe(3);
    expect(issues).toEqual(emulator.objects('issue').sort((a: any, b: any) => a.fields.created.localeCompare(b.fields.created)));
    const [first] = issues;
    expect(first.id).toMatch(/^\d+$/);
    expect(first.key).toMatch(/^[A-Z0-9]+-\d+$/);
    expect(first.self).toBe(`${emulator.url}/rest/api/3/issue/${first.id}`);
    expect(first.fields.created).toMatch(JIRA_TIME);
    expect(first.fields.updated).toMatch(JIRA_TIME);
    expect(first.fields).toHaveProperty('status.statusCategory.key');
    expect(first.fields).toHaveProperty('issuetype.name');
    expect(first.fields).toHaveProperty('project.key');
  });

  it('answers only the ids by default, and pages of up to 5000 of them', async () => {
    const page = await call(emulator, 'GET', search({ jql: 'created >= "1970/01/01"', maxResults: '5000' }));
    expect(page.body.issues).toHaveLength(120);
    expect(page.body.isLast).toBe(true);
    expect(page.body.issues[0]).not.toHaveProperty('fields');
    const full = await call(emulator, 'GET', search({ jql: 'created >= "1970/01/01"', maxResults: '5000', fields: '*all' }));
    expect(full.body.issues).toHaveLength(100);
    expect(full.body.isLast).toBe(false);
  });

  it('reads JQL dates in the user\'s time zone at minute precision', async () => {
    const made = emulator.mutateRandomly(30, ['issue']);
    const touched = [...made.created, ...made.updated];
    expect(touched.length).toBeGreaterThan(0);
    const since = jqlMinute(Date.now() - 60_000, 'America/New_York');
    const { issues } = await searchAll(emulator, { jql: `updated >= "${since}" ORDER BY updated ASC`, fields: 'updated' });
    expect(issues.map((i) => i.id).sort()).toEqual([...new Set(touched)].filter((id) => !made.deleted.includes(id)).sort());
    const updated = issues.map((i) => Date.parse(i.fields.updated.replace('+0000', 'Z')));
    expect(updated).toEqual([...updated].sort((a, b) => a - b));
    // The same minute read as UTC is hours off: nothing (New York is behind UTC, so "later").
    const utc = jqlMinute(Date.now() - 60_000, 'UTC');
    const asUtc = await call(emulator, 'GET', search({ jql: `updated >= "${utc}"` }));
    expect(asUtc.body.issues).toHaveLength(0);
  });

  it('refuses JQL it does not understand with 400 and errorMessages, and unbounded queries', async () => {
    for (const jql of ['updated >= "yesterday"', 'summary ~ "x"', 'ORDER BY created', 'updated >= "2024/01/01" OR created >= "2024/01/01"']) {
      const answer = await call(emulator, 'GET', search({ jql }));
      expect(answer.status, jql).toBe(400);
      expect(answer.body.errorMessages.length, jql).toBe(1);
    }
    expect((await call(emulator, 'GET', '/rest/api/3/search?jql=project%3DX')).status).toBe(410);
  });

  it('counts a JQL search approximately and pages projects and users', async () => {
    const count = await call(emulator, 'POST', '/rest/api/3/search/approximate-count', { body: { jql: 'created >= "1970/01/01"' } });
    expect(count.body).toEqual({ count: emulator.objects('issue').length });
    const first = await call(emulator, 'GET', '/rest/api/3/project/search?startAt=0&maxResults=50');
    expect(first.body).toMatchObject({ startAt: 0, maxResults: 50, total: 60, isLast: false });
    expect(first.body.nextPage).toContain('startAt=50');
    const second = await call(emulator, 'GET', '/rest/api/3/project/search?startAt=50&maxResults=50');
    expect(second.body).toMatchObject({ isLast: true, total: 60 });
    expect([...first.body.values, ...second.body.values]).toEqual(emulator.objects('project'));
    const users = await call(emulator, 'GET', '/rest/api/3/users/search?startAt=100&maxResults=50');
    expect(Array.isArray(users.body)).toBe(true);
    expect(users.body).toEqual(emulator.objects('user').slice(100, 150));
    expect((await call(emulator, 'GET', '/rest/api/3/users/search?startAt=200')).body).toEqual([]);
  });
});

describe('Jira emulator: issue writes, rate limit', () => {
  let emulator: JiraEmulator;
  beforeAll(async () => {
    emulator = await startJiraEmulator({ objects: 5, randomSeed: 9 });
  });
  afterAll(() => emulator.close());

  it('creates (201 {id,key,self}), edits (204, updated moves) and deletes (204) an issue', async () => {
    const projectKey = emulator.objects('project')[0]!.key as string;
    const created = await call(emulator, 'POST', '/rest/api/3/issue', { body: { fields: { project: { key: projectKey }, summary: 'Made here', issuetype: { name: 'Bug' }, labels: ['x'] } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['id', 'key', 'self']);
    expect(created.body.key).toMatch(new RegExp(`^${projectKey}-\\d+$`));
    const before = (await call(emulator, 'GET', `/rest/api/3/issue/${created.body.id}`)).body;
    expect(before.fields).toMatchObject({ summary: 'Made here', labels: ['x'], issuetype: { name: 'Bug' }, reporter: { emailAddress: 'admin@example.com' } });
    const edited = await call(emulator, 'PUT', `/rest/api/3/issue/${created.body.id}`, { body: { fields: { summary: 'Edited', description: { type: 'doc', version: 1, content: [] } } } });
    expect(edited.status).toBe(204);
    expect(edited.body).toBeNull();
    const after = (await call(emulator, 'GET', `/rest/api/3/issue/${created.body.key}`)).body;
    expect(after.fields.summary).toBe('Edited');
    expect(Date.parse(after.fields.updated.replace('+0000', 'Z'))).toBeGreaterThan(Date.parse(before.fields.updated.replace('+0000', 'Z')));
    expect((await call(emulator, 'DELETE', `/rest/api/3/issue/${created.body.id}`)).status).toBe(204);
    const gone = await call(emulator, 'GET', `/rest/api/3/issue/${created.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.errorMessages).toEqual(['Issue does not exist or you do not have permission to see it.']);
  });

  it('refuses invalid writes with per-field errors', async () => {
    const missing = await call(emulator, 'POST', '/rest/api/3/issue', { body: { fields: { summary: '' } } });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.errors).sort()).toEqual(['issuetype', 'project', 'summary']);
    const id = emulator.objects('issue')[0]!.id as string;
    const status = await call(emulator, 'PUT', `/rest/api/3/issue/${id}`, { body: { fields: { status: { name: 'Done' } } } });
    expect(status.status).toBe(400);
    expect(status.body.errors.status).toMatch(/cannot be set/);
  });

  it('answers 429 with Retry-After and Jira\'s rate-limit headers beyond its limit', async () => {
    emulator.setRateLimit({ requests: 2, windowMs: 2_000 });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await call(emulator, 'GET', '/rest/api/3/myself'));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
      const limited = answers[2]!;
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(limited.headers.get('ratelimit-reason')).toBe('jira-quota-based');
      expect(limited.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
      expect(limited.body.errorMessages).toEqual(['Rate limit exceeded.']);
    } finally {
      emulator.setRateLimit(null);
    }
  });

  it('mutates randomly: issues created, updated, deleted; projects and users changed', () => {
    const before = { issue: emulator.objects('issue'), project: emulator.objects('project'), user: emulator.objects('user') };
    const made = emulator.mutateRandomly(60);
    expect(made.created.length).toBeGreaterThan(0);
    expect(made.deleted.length).toBeGreaterThan(0);
    expect(emulator.objects('issue')).not.toEqual(before.issue);
    expect([...emulator.objects('project'), ...emulator.objects('user')]).not.toEqual([...before.project, ...before.user]);
  });
});

describe('Jira emulator: OAuth 2.0 (3LO)', () => {
  let emulator: JiraEmulator;
  beforeAll(async () => {
    emulator = await startJiraEmulator({ objects: 5, randomSeed: 3, email: 'me@example.com', apiKey: 'token-1' });
  });
  afterAll(() => emulator.close());

  const token = async (body: unknown): Promise<Answer> => {
    const response = await fetch(`${emulator.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  const client = () => ({ client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret });

  it('consents at once, exchanges the code, lists the site and serves the API under /ex/jira/{cloudId} with Bearer', async () => {
    const redirectUri = 'http://127.0.0.1:1/callback';
    const consent = await fetch(
      `${emulator.url}/authorize?${new URLSearchParams({ audience: 'api.atlassian.com', client_id: emulator.oauthClient.clientId, scope: 'read:jira-work offline_access', redirect_uri: redirectUri, state: 's-1', response_type: 'code', prompt: 'consent' })}`,
      { redirect: 'manual' },
    );
    expect(consent.status).toBe(302);
    const location = new URL(consent.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('s-1');
    const granted = await token({ grant_type: 'authorization_code', ...client(), code: location.searchParams.get('code'), redirect_uri: redirectUri });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ expires_in: 3600, scope: 'read:jira-work offline_access' });
    expect(emulator.authorizationCodeGrants).toBe(1);
    const bearer = { authorization: `Bearer ${granted.body.access_token}` };

    const resources = await (await fetch(`${emulator.url}/oauth/token/accessible-resources`, { headers: bearer })).json();
    expect(resources).toEqual([expect.objectContaining({ id: emulator.cloudId, url: emulator.url })]);
    const me = await fetch(`${emulator.url}/ex/jira/${emulator.cloudId}/rest/api/3/myself`, { headers: bearer });
    expect(me.status).toBe(200);
    expect((await me.json()).emailAddress).toBe('me@example.com');
    expect((await fetch(`${emulator.url}/ex/jira/not-the-cloud/rest/api/3/myself`, { headers: bearer })).status).toBe(404);
    expect((await fetch(`${emulator.url}/ex/jira/${emulator.cloudId}/rest/api/3/myself`)).status).toBe(401);
    expect((await call(emulator, 'GET', '/rest/api/3/myself')).status).toBe(200); // Basic auth keeps working

    emulator.expireAccessTokens();
    const expired = await fetch(`${emulator.url}/ex/jira/${emulator.cloudId}/rest/api/3/myself`, { headers: bearer });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ code: 401, message: 'Unauthorized' });
  });

  it('rotates refresh tokens: each refresh answers a new one and the old one is refused with invalid_grant', async () => {
    const first = emulator.issueRefreshToken();
    const grants = emulator.refreshGrants;
    const refreshed = await token({ grant_type: 'refresh_token', ...client(), refresh_token: first });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first);
    expect(emulator.refreshGrants).toBe(grants + 1);
    const again = await token({ grant_type: 'refresh_token', ...client(), refresh_token: first });
    expect(again.status).toBe(403);
    expect(again.body.error).toBe('invalid_grant');
    expect((await token({ grant_type: 'refresh_token', ...client(), refresh_token: refreshed.body.refresh_token })).status).toBe(200);
    expect((await token({ grant_type: 'refresh_token', client_id: 'x', client_secret: 'y', refresh_token: 'z' })).status).toBe(401);
    expect((await token({ grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
  });
});
