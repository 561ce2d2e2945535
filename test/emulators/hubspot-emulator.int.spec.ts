import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/emulators/hubspot/index.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(emulator: HubSpotEmulator, method: string, path: string, options: { body?: unknown; token?: string | null; form?: URLSearchParams } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? emulator.privateAppToken : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = options.form.toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${emulator.url}${path}`, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (redirect bodies)
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const search = (emulator: HubSpotEmulator, objectType: string, body: unknown, token?: string) => call(emulator, 'POST', `/crm/v3/objects/${objectType}/search`, { body, ...(token ? { token } : {}) });

describe('HubSpot emulator: listing', () => {
  let emulator: HubSpotEmulator;
  beforeAll(async () => {
    emulator = await startHubSpotEmulator({ seed: { contact: 250, company: 3, deal: 0 }, randomSeed: 7, searchRateLimit: null });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('pages through every contact once, in id order, by paging.next.after', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const answer = await call(emulator, 'GET', `/crm/v3/objects/contacts?limit=100&archived=false${after ? `&after=${after}` : ''}`);
      expect(answer.status).toBe(200);
      pages++;
      ids.push(...answer.body.results.map((o: { id: string }) => o.id));
      after = answer.body.paging?.next?.after;
      if (after) expect(answer.body.paging.next.link).toContain(`after=${after}`);
    } while (after);
    expect(pages).toBe(3);
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    expect([...ids].sort((a, b) => Number(a) - Number(b))).toEqual(ids);
  });

  it('answers the default properties, or the requested ones plus hs_object_id and the dates (unknown names ignored, unset ones null)', async () => {
    const defaults = await call(emulator, 'GET', '/crm/v3/objects/contacts?limit=1');
    const [first] = defaults.body.results;
    expect(Object.keys(first.properties).sort()).toEqual(['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
    expect(first).toMatchObject({ id: first.properties.hs_object_id, archived: false, createdAt: first.properties.createdate, updatedAt: first.properties.lastmodifieddate });
    expect(first).not.toHaveProperty('archivedAt');

    const selected = await call(emulator, 'GET', '/crm/v3/objects/contacts?limit=5&properties=email,jobtitle&properties=no_such_property');
    for (const contact of selected.body.results) {
      expect(Object.keys(contact.properties).sort()).toEqual(['createdate', 'email', 'hs_object_id', 'jobtitle', 'lastmodifieddate']);
    }
    const companies = await call(emulator, 'GET', '/crm/v3/objects/companies?properties=name');
    expect(Object.keys(companies.body.results[0].properties).sort()).toEqual(['createdate', 'hs_lastmodifieddate', 'hs_object_id', 'name']);
    expect(companies.body.paging).toBeUndefined();
  });

  it('answers HubSpot error bodies for a bad cursor, an unknown object and an unknown type', async () => {
    const badAfter = await call(emulator, 'GET', '/crm/v3/objects/contacts?after=abc');
    expect(badAfter.status).toBe(400);
    expect(badAfter.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(typeof badAfter.body.correlationId).toBe('string');
    const missing = await call(emulator, 'GET', '/crm/v3/objects/contacts/999999999');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    expect((await call(emulator, 'GET', '/crm/v3/objects/tickets')).status).toBe(404);
  });
});

describe('HubSpot emulator: search', () => {
  let emulator: HubSpotEmulator;
  beforeAll(async () => {
    emulator = await startHubSpotEmulator({ seed: { contact: 300, company: 20, deal: 20 }, randomSeed: 11, searchRateLimit: null });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  const modified = (o: { properties: Record<string, string> }, property = 'lastmodifieddate') => Date.parse(o.properties[property] as string);

  it('filters on a date property with GTE (epoch ms or ISO), sorts ascending and pages by offset with a total', async () => {
    const all = emulator.objects('contact').map((o) => Date.parse((o.properties as Record<string, string>).lastmodifieddate as string)).sort((a, b) => a - b);
    const pivot = all[200] as number;
    const expected = all.filter((t) => t >= pivot).length;
    const seen: number[] = [];
    let after: string | undefined;
    do {
      const answer = await search(emulator, 'contacts', {
        filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(pivot) }] }],
        sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
        properties: ['email'],
        limit: 40,
        ...(after ? { after } : {}),
      });
      expect(answer.status).toBe(200);
      expect(answer.body.total).toBe(expected);
      seen.push(...answer.body.results.map((o: { properties: Record<string, string> }) => modified(o)));
      after = answer.body.paging?.next?.after;
    } while (after);
    expect(seen).toHaveLength(expected);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(seen.every((t) => t >= pivot)).toBe(true);

    const iso = await search(emulator, 'contacts', { filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: new Date(pivot).toISOString() }] }], limit: 1 });
    expect(iso.body.total).toBe(expected);
  });

  it('supports EQ, GT, LT, LTE, BETWEEN and OR-ed filter groups, and DESCENDING sorts', async () => {
    const deals = emulator.objects('deal') as Array<{ id: string; properties: Record<string, string> }>;
    const times = deals.map((d) => modified(d, 'hs_lastmodifieddate')).sort((a, b) => a - b);
    const mid = times[10] as number;
    const count = async (filters: unknown[]) => (await search(emulator, 'deals', { filterGroups: [{ filters }], limit: 1 })).body.total as number;
    const f = (operator: string, value: number, highValue?: number) => ({ propertyName: 'hs_lastmodifieddate', operator, value: String(value), ...(highValue ? { highValue: String(highValue) } : {}) });
    expect(await count([f('EQ', mid)])).toBe(times.filter((t) => t === mid).length);
    expect(await count([f('GT', mid)])).toBe(times.filter((t) => t > mid).length);
    expect(await count([f('LT', mid)])).toBe(times.filter((t) => t < mid).length);
    expect(await count([f('LTE', mid)])).toBe(times.filter((t) => t <= mid).length);
    expect(await count([f('BETWEEN', times[2] as number, times[5] as number)])).toBe(times.filter((t) => t >= (times[2] as number) && t <= (times[5] as number)).length);
    const either = await search(emulator, 'deals', { filterGroups: [{ filters: [f('LT', times[1] as number)] }, { filters: [f('GT', times[18] as number)] }], limit: 100 });
    expect(either.body.total).toBe(times.filter((t) => t < (times[1] as number) || t > (times[18] as number)).length);
    const newest = await search(emulator, 'deals', { sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'DESCENDING' }], limit: 1, properties: ['dealname'] });
    expect(modified(newest.body.results[0], 'hs_lastmodifieddate')).toBe(times[times.length - 1]);
    expect(newest.body.results[0].properties).toHaveProperty('dealname');
  });

  it('refuses to page past the 10,000th result, and malformed searches, in HubSpot error shape', async () => {
    const capped = await search(emulator, 'contacts', { limit: 100, after: '9950' });
    expect(capped.status).toBe(400);
    expect(capped.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect((await search(emulator, 'contacts', { limit: 201 })).status).toBe(400);
    expect((await search(emulator, 'contacts', { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] })).status).toBe(400);
  });

  it('leaves archived objects out of search, lists them with archived=true and archivedAt', async () => {
    const [victim] = emulator.objects('company') as Array<{ id: string }>;
    const removed = await call(emulator, 'DELETE', `/crm/v3/objects/companies/${victim!.id}`);
    expect(removed.status).toBe(204);
    expect((await call(emulator, 'GET', `/crm/v3/objects/companies/${victim!.id}`)).status).toBe(404);
    const archived = await call(emulator, 'GET', `/crm/v3/objects/companies/${victim!.id}?archived=true&properties=name`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id: victim!.id, archived: true });
    expect(Date.parse(archived.body.archivedAt)).toBeGreaterThan(0);
    const listed = await call(emulator, 'GET', '/crm/v3/objects/companies?archived=true&limit=100');
    expect(listed.body.results.map((o: { id: string }) => o.id)).toEqual([victim!.id]);
    const live = await call(emulator, 'GET', '/crm/v3/objects/companies?limit=100');
    expect(live.body.results.map((o: { id: string }) => o.id)).not.toContain(victim!.id);
    const found = await search(emulator, 'companies', { filterGroups: [{ filters: [{ propertyName: 'hs_object_id', operator: 'EQ', value: victim!.id }] }] });
    expect(found.body.total).toBe(0);
  });

  it('creates and updates with property validation; random mutations bump the modification dates', async () => {
    const created = await call(emulator, 'POST', '/crm/v3/objects/contacts', { body: { properties: { email: 'ada@example.org', firstname: 'Ada', lastname: 'Lovelace' } } });
    expect(created.status).toBe(201);
    expect(created.body.properties).toMatchObject({ email: 'ada@example.org', hs_object_id: created.body.id });
    const duplicate = await call(emulator, 'POST', '/crm/v3/objects/contacts', { body: { properties: { email: 'ADA@example.org' } } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ status: 'error', category: 'CONFLICT' });
    const unknown = await call(emulator, 'PATCH', `/crm/v3/objects/contacts/${created.body.id}`, { body: { properties: { favourite_colour: 'green' } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('PROPERTY_DOESNT_EXIST');
    const readOnly = await call(emulator, 'PATCH', `/crm/v3/objects/contacts/${created.body.id}`, { body: { properties: { hs_object_id: '1' } } });
    expect(readOnly.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = await call(emulator, 'PATCH', `/crm/v3/objects/contacts/${created.body.id}`, { body: { properties: { jobtitle: 'Analyst' } } });
    expect(updated.status).toBe(200);
    expect(updated.body.properties.jobtitle).toBe('Analyst');
    expect(Date.parse(updated.body.updatedAt)).toBeGreaterThan(Date.parse(created.body.updatedAt));

    const before = Date.now();
    const made = emulator.mutateRandomly(30);
    expect(made.created.length + made.updated.length + made.deleted.length).toBe(30);
    const recent = await search(emulator, 'contacts', { filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(before) }] }], limit: 100 });
    const recentCompanies = await search(emulator, 'companies', { filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(before) }] }], limit: 100 });
    const recentDeals = await search(emulator, 'deals', { filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(before) }] }], limit: 100 });
    const changedIds = new Set([...recent.body.results, ...recentCompanies.body.results, ...recentDeals.body.results].map((o: { id: string }) => o.id));
    for (const id of [...made.created, ...made.updated].filter((i) => !made.deleted.includes(i))) expect(changedIds).toContain(id);
  });
});

describe('HubSpot emulator: authentication, rate limits and OAuth', () => {
  let emulator: HubSpotEmulator;
  beforeAll(async () => {
    emulator = await startHubSpotEmulator({ seed: { contact: 5, company: 5, deal: 5 }, randomSeed: 3, accessTokenTtlSeconds: 60 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('refuses requests without a token or with an unknown one', async () => {
    for (const token of [null, 'pat-na1-wrong']) {
      const answer = await call(emulator, 'GET', '/crm/v3/objects/contacts', { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
      expect(typeof answer.body.correlationId).toBe('string');
    }
  });

  it('sends X-HubSpot-RateLimit-* headers from its window and answers 429 in HubSpot shape beyond it', async () => {
    emulator.setRateLimit({ requests: 3, windowMs: 10_000 });
    try {
      const first = await call(emulator, 'GET', '/crm/v3/objects/contacts');
      expect(first.headers.get('x-hubspot-ratelimit-max')).toBe('3');
      expect(first.headers.get('x-hubspot-ratelimit-remaining')).toBe('2');
      expect(first.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
      expect(Number(first.headers.get('x-hubspot-ratelimit-daily'))).toBeGreaterThan(0);
      expect(Number(first.headers.get('x-hubspot-ratelimit-daily-remaining'))).toBeLessThan(Number(first.headers.get('x-hubspot-ratelimit-daily')));
      await call(emulator, 'GET', '/crm/v3/objects/contacts');
      const last = await call(emulator, 'GET', '/crm/v3/objects/contacts');
      expect(last.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
      const refused = await call(emulator, 'GET', '/crm/v3/objects/contacts');
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
      expect(typeof refused.body.message).toBe('string');
      expect(typeof refused.body.correlationId).toBe('string');
      expect(refused.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
    } finally {
      emulator.setRateLimit(null);
    }
  });

  it('limits searches to 5 per second on their own, and injects 429 faults in the same shape', async () => {
    const answers = await Promise.all(Array.from({ length: 7 }, () => search(emulator, 'contacts', { limit: 1 })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body).toMatchObject({ errorType: 'RATE_LIMIT', policyName: 'SECONDLY' });
    emulator.setFaults({ rate429: 1 });
    try {
      const faulted = await call(emulator, 'GET', '/crm/v3/objects/deals');
      expect(faulted.status).toBe(429);
      expect(faulted.body).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT' });
    } finally {
      emulator.setFaults({});
    }
  });

  it('runs the OAuth code flow: consent redirect, code grant, Bearer access token, expiry, refresh grant', async () => {
    const { clientId, clientSecret } = emulator.oauthClient;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const consent = await call(emulator, 'GET', `/oauth/authorize?client_id=${clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=oauth%20crm.objects.contacts.read&state=xyz`, { token: null });
    expect(consent.status).toBe(302);
    const location = new URL(consent.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    const code = location.searchParams.get('code')!;

    const token = (form: Record<string, string>) => call(emulator, 'POST', '/oauth/v1/token', { token: null, form: new URLSearchParams(form) });
    const exchanged = await token({ grant_type: 'authorization_code', client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, code });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({ token_type: 'bearer', expires_in: 60 });
    const { access_token: accessToken, refresh_token: refreshToken } = exchanged.body;
    expect((await token({ grant_type: 'authorization_code', client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, code })).body.status).toBe('BAD_AUTH_CODE');

    expect((await call(emulator, 'GET', '/crm/v3/objects/contacts', { token: accessToken })).status).toBe(200);
    emulator.expireAccessTokens();
    const expired = await call(emulator, 'GET', '/crm/v3/objects/contacts', { token: accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });

    const grants = emulator.refreshGrants;
    const refreshed = await token({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).not.toBe(accessToken);
    expect(emulator.refreshGrants).toBe(grants + 1);
    expect((await call(emulator, 'GET', '/crm/v3/objects/contacts', { token: refreshed.body.access_token })).status).toBe(200);

    const seeded = emulator.issueRefreshToken();
    expect((await token({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: seeded })).status).toBe(200);
    const bad = await token({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.status).toBe('BAD_REFRESH_TOKEN');
    expect((await token({ grant_type: 'refresh_token', client_id: clientId, client_secret: 'wrong', refresh_token: seeded })).body.status).toBe('BAD_CLIENT_ID');
  });
});
