import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZendeskEmulator, type ZendeskEmulator } from '../../src/emulators/zendesk/index.ts';

const ZENDESK_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function call(emulator: ZendeskEmulator, method: string, pathOrUrl: string, options: { body?: unknown; authorization?: string | null } = {}): Promise<Answer> {
  const authorization = options.authorization === undefined ? basic(`${emulator.email}/token`, emulator.apiToken) : options.authorization;
  const response = await fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${emulator.url}${pathOrUrl}`, {
    method,
    headers: { ...(authorization ? { Authorization: authorization } : {}), ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

/** Every page of a cursor-based export from `first`, following after_url until end_of_stream. */
async function exportAll(emulator: ZendeskEmulator, first: string, key: string) {
  const items: Record<string, any>[] = [];
  let url = first;
  let pages = 0;
  for (;;) {
    const page = await call(emulator, 'GET', url);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body[key]);
    pages++;
    if (page.body.end_of_stream) return { items, pages, last: page.body };
    url = page.body.after_url;
  }
}

describe('Zendesk emulator: auth, exports, tickets', () => {
  let emulator: ZendeskEmulator;

  beforeAll(async () => {
    emulator = await startZendeskEmulator({ seed: { ticket: 1500, user: 40, organization: 12 }, randomSeed: 5, rateLimit: { requests: 1000, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it("refuses anything but Basic {email}/token:{api_token} (or an issued OAuth token) with Zendesk's 401", async () => {
    for (const authorization of [null, basic(emulator.email, emulator.apiToken), basic(`${emulator.email}/token`, 'wrong'), `Bearer ${emulator.apiToken}`]) {
      const answer = await call(emulator, 'GET', '/api/v2/tickets/1.json', { authorization });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: "Couldn't authenticate you" });
    }
  });

  it('exports every ticket from start_time=0 in pages of 1000 with opaque cursors, in updated_at order, with rate-limit headers', async () => {
    const first = await call(emulator, 'GET', '/api/v2/incremental/tickets/cursor.json?start_time=0');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-rate-limit')).toBe('1000');
    expect(Number(first.headers.get('x-rate-limit-remaining'))).toBeLessThan(1000);
    expect(Object.keys(first.body).sort()).toEqual(['after_cursor', 'after_url', 'before_cursor', 'before_url', 'end_of_stream', 'tickets']);
    expect(first.body.tickets).toHaveLength(1000);
    expect(first.body.end_of_stream).toBe(false);
    expect(first.body.after_url).toBe(`${emulator.url}/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(first.body.after_cursor)}`);
    const all = await exportAll(emulator, '/api/v2/incremental/tickets/cursor.json?start_time=0', 'tickets');
    expect(all.pages).toBe(2);
    expect(all.items.map((t) => t.id).sort((a, b) => a - b)).toEqual(emulator.objects('ticket').map((t) => t.id));
    const times = all.items.map((t) => Date.parse(t.updated_at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const count = await call(emulator, 'GET', '/api/v2/tickets/count.json');
    expect(count.body).toEqual({ count: { value: 1500, refreshed_at: expect.stringMatching(ZENDESK_TIME) } });
    const [ticket] = all.items;
    expect(ticket).toMatchObject({ url: `${emulator.url}/api/v2/tickets/${ticket!.id}.json`, status: expect.any(String), tags: expect.any(Array) });
    expect(ticket!.created_at).toMatch(ZENDESK_TIME);
    // Caught up: the last after_cursor gives nothing new, and end_of_stream.
    const again = await call(emulator, 'GET', all.last.after_url);
    expect(again.body).toMatchObject({ tickets: [], end_of_stream: true, after_cursor: all.last.after_cursor });
  });

  it('creates, updates and deletes tickets through {ticket} envelopes; a deleted ticket stays in the export as status "deleted"', async () => {
    const caughtUp = (await exportAll(emulator, '/api/v2/incremental/tickets/cursor.json?start_time=0', 'tickets')).last.after_url as string;
    const created = await call(emulator, 'POST', '/api/v2/tickets.json', { body: { ticket: { subject: 'Printer on fire', comment: { body: 'It smokes.' }, priority: 'urgent' } } });
    expect(created.status).toBe(201);
    expect(created.body.ticket).toMatchObject({ subject: 'Printer on fire', description: 'It smokes.', priority: 'urgent', status: 'new' });
    const id = created.body.ticket.id as number;
    const updated = await call(emulator, 'PUT', `/api/v2/tickets/${id}.json`, { body: { ticket: { status: 'solved', tags: ['fire'] } } });
    expect(updated.status).toBe(200);
    expect(updated.body.ticket).toMatchObject({ id, status: 'solved', tags: ['fire'] });
    const deleted = await call(emulator, 'DELETE', `/api/v2/tickets/${id}.json`);
    expect(deleted.status).toBe(204);
    expect(await call(emulator, 'GET', `/api/v2/tickets/${id}.json`)).toMatchObject({ status: 404, body: { error: 'RecordNotFound', description: 'Not found' } });
    expect(emulator.objects('ticket').some((t) => t.id === id)).toBe(false);
    const changes = await call(emulator, 'GET', caughtUp);
    expect(changes.body.tickets).toHaveLength(1);
    expect(changes.body.tickets[0]).toMatchObject({ id, status: 'deleted', tags: ['fire'] });
    expect(changes.body.end_of_stream).toBe(true);
  });

  it("answers Zendesk's 422 RecordInvalid and 400s for bad writes and cursors", async () => {
    const blank = await call(emulator, 'POST', '/api/v2/tickets.json', { body: { ticket: { subject: 'No comment' } } });
    expect(blank.status).toBe(422);
    expect(blank.body).toEqual({ error: 'RecordInvalid', description: 'Record validation errors', details: { description: [{ description: 'Description: cannot be blank', error: 'BlankValue' }] } });
    const [someone] = emulator.objects('ticket');
    const badStatus = await call(emulator, 'PUT', `/api/v2/tickets/${someone!.id}.json`, { body: { ticket: { status: 'exploded' } } });
    expect(badStatus.status).toBe(422);
    const nobody = await call(emulator, 'POST', '/api/v2/tickets.json', { body: { ticket: { requester_id: 1, comment: { body: 'Who am I?' } } } });
    expect(nobody).toMatchObject({ status: 422, body: { error: 'RecordInvalid', details: { requester: [{ description: 'Requester: is invalid' }] } } });
    expect(await call(emulator, 'GET', '/api/v2/incremental/tickets/cursor.json?cursor=bm9wZQ')).toMatchObject({ status: 400, body: { error: 'InvalidPaginationParameter' } });
    expect(await call(emulator, 'GET', '/api/v2/incremental/tickets/cursor.json')).toMatchObject({ status: 422, body: { error: 'InvalidValue' } });
  });

  it('exports users with the cursor and organizations by time (next_page, end_time, count), deleted users as active: false', async () => {
    const users = await exportAll(emulator, '/api/v2/incremental/users/cursor.json?start_time=0', 'users');
    expect(users.items.map((u) => u.id).sort((a, b) => a - b)).toEqual(emulator.objects('user').map((u) => u.id));
    const orgs = await call(emulator, 'GET', '/api/v2/incremental/organizations.json?start_time=0&per_page=5');
    expect(orgs.body.organizations).toHaveLength(5);
    expect(orgs.body).toMatchObject({ count: 5, end_of_stream: false });
    expect(orgs.body.end_time).toBe(Math.floor(Date.parse(orgs.body.organizations[4].updated_at) / 1000));
    expect(orgs.body.next_page).toBe(`${emulator.url}/api/v2/incremental/organizations.json?per_page=5&start_time=${orgs.body.end_time}`);
    const rest = await call(emulator, 'GET', orgs.body.next_page);
    // The next page starts at end_time inclusive: its first organization is the last one again.
    expect(rest.body.organizations[0].id).toBe(orgs.body.organizations[4].id);
    let made = emulator.mutateRandomly(60, ['user']);
    while (made.deleted.length === 0) made = emulator.mutateRandomly(20, ['user']);
    const after = await call(emulator, 'GET', users.last.after_url);
    const gone = after.body.users.find((u: { id: number }) => String(u.id) === made.deleted[0]);
    expect(gone).toMatchObject({ active: false });
    expect(emulator.objects('user').some((u) => String(u.id) === made.deleted[0])).toBe(false);
  });

  it('answers 429 with Retry-After and X-Rate-Limit-Remaining: 0 beyond its limit', async () => {
    emulator.setRateLimit({ requests: 2, windowMs: 60_000 });
    try {
      await call(emulator, 'GET', '/api/v2/organizations/1.json');
      await call(emulator, 'GET', '/api/v2/organizations/1.json');
      const refused = await call(emulator, 'GET', '/api/v2/organizations/1.json');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('x-rate-limit-remaining')).toBe('0');
      expect(refused.body).toEqual({ error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' });
    } finally {
      emulator.setRateLimit(null);
    }
  });
});

describe('Zendesk emulator: realistic export rules (opt-in)', () => {
  let emulator: ZendeskEmulator;

  beforeAll(async () => {
    emulator = await startZendeskEmulator({ seed: { ticket: 5, user: 3, organization: 2 }, realisticExports: true });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('refuses a start_time younger than a minute, leaves out the last minute, and allows 10 exports a minute', async () => {
    const now = Math.floor(Date.now() / 1000);
    const young = await call(emulator, 'GET', `/api/v2/incremental/tickets/cursor.json?start_time=${now - 30}`);
    expect(young.status).toBe(422);
    expect(young.body).toEqual({ error: 'InvalidValue', description: 'Too recent start_time. Use a start_time older than 1 minute' });
    emulator.mutateRandomly(5, ['ticket']);
    const all = await call(emulator, 'GET', '/api/v2/incremental/tickets/cursor.json?start_time=0');
    expect(all.body.tickets.every((t: { updated_at: string }) => Date.parse(t.updated_at) / 1000 <= now - 60 + 1)).toBe(true);
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await call(emulator, 'GET', '/api/v2/incremental/organizations.json?start_time=0')).status);
    expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
    const limited = await call(emulator, 'GET', '/api/v2/incremental/users/cursor.json?start_time=0');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('Zendesk emulator: OAuth', () => {
  let emulator: ZendeskEmulator;

  beforeAll(async () => {
    emulator = await startZendeskEmulator({ objects: 3, randomSeed: 9 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  const tokens = async (body: Record<string, string>, form = false) => {
    const response = await fetch(`${emulator.url}/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it('approves consent at once, grants a code (JSON) and a refresh (form), and takes the Bearer token beside Basic', async () => {
    const { clientId, clientSecret } = emulator.oauthClient;
    const redirectUri = 'https://syncline.test/cb';
    const consent = await fetch(`${emulator.url}/oauth/authorizations/new?response_type=code&client_id=${clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=read%20write&state=xyz`, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const location = new URL(consent.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');

    const granted = await tokens({ grant_type: 'authorization_code', code: location.searchParams.get('code') as string, client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, scope: 'read write' });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ access_token: expect.any(String), token_type: 'bearer', scope: 'read write', refresh_token: expect.any(String) });
    expect(granted.body.expires_in).toBeUndefined();
    expect(emulator.authorizationCodeGrants).toBe(1);
    expect((await call(emulator, 'GET', '/api/v2/tickets/count.json', { authorization: `Bearer ${granted.body.access_token}` })).status).toBe(200);

    const before = emulator.refreshGrants;
    emulator.expireAccessTokens();
    const expired = await call(emulator, 'GET', '/api/v2/tickets/count.json', { authorization: `Bearer ${granted.body.access_token}` });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ error: "Couldn't authenticate you" });
    expect((await call(emulator, 'GET', '/api/v2/tickets/count.json')).status).toBe(200); // Basic still works

    const refreshed = await tokens({ grant_type: 'refresh_token', refresh_token: emulator.issueRefreshToken(), client_id: clientId, client_secret: clientSecret }, true);
    expect(refreshed.status).toBe(200);
    expect(emulator.refreshGrants).toBe(before + 1);
    expect((await call(emulator, 'GET', '/api/v2/tickets/count.json', { authorization: `Bearer ${refreshed.body.access_token}` })).status).toBe(200);
  });

  it("answers Zendesk's OAuth errors", async () => {
    const { clientId, clientSecret } = emulator.oauthClient;
    const refused = await tokens({ grant_type: 'refresh_token', refresh_token: 'unknown', client_id: clientId, client_secret: clientSecret });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    expect((await tokens({ grant_type: 'refresh_token', refresh_token: emulator.issueRefreshToken(), client_id: clientId, client_secret: 'wrong' })).status).toBe(401);
    expect((await tokens({ grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
  });
});
