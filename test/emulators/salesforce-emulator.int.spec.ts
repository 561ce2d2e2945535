import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator, type SalesforceEmulatorOptions } from '../../src/emulators/salesforce/index.ts';
import type { OAuthTokenSet, OAuthTokenSource, ProviderSession, UpstreamObject } from '../../src/sync/providers/provider.ts';
import { salesforceProvider } from '../../src/sync/providers/salesforce/index.ts';
import { isSalesforceRateLimited } from '../../src/sync/providers/salesforce/errors.ts';
import { UpstreamAuthError } from '../../src/sync/providers/provider.ts';

const API = '/services/data/v67.0';
const SF_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$/;

let emulator: SalesforceEmulator | null = null;

afterEach(async () => {
  await emulator?.close();
  emulator = null;
});

async function start(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  emulator = await startSalesforceEmulator({ objects: 10, randomSeed: 7, ...options });
  return emulator;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

function tokenForm(e: SalesforceEmulator, fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: e.client.clientId, client_secret: e.client.clientSecret, ...fields }).toString(),
  };
}

async function accessToken(e: SalesforceEmulator): Promise<{ token: string; instance: string }> {
  const answer = await call(`${e.url}/services/oauth2/token`, tokenForm(e, { grant_type: 'refresh_token', refresh_token: e.issueRefreshToken() }));
  return { token: answer.body.access_token, instance: answer.body.instance_url };
}

async function api(e: SalesforceEmulator, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; token?: string } = {}): Promise<Answer> {
  const token = options.token ?? (await accessToken(e)).token;
  return call(`${e.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
}

const soql = (q: string) => `${API}/query?q=${encodeURIComponent(q)}`;

describe('Salesforce emulator: login', () => {
  it('authorizes at once, exchanges the code once, and refreshes without a new refresh token', async () => {
    const e = await start();
    const redirectUri = 'https://app.example.com/oauth/callback';
    const authorize = await fetch(
      `${e.url}/services/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: e.client.clientId, redirect_uri: redirectUri, scope: 'api refresh_token', state: 's-1' })}`,
      { redirect: 'manual' },
    );
    expect(authorize.status).toBe(302);
    const back = new URL(authorize.headers.get('location') as string);
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('s-1');
    const code = back.searchParams.get('code') as string;

    const exchanged = await call(`${e.url}/services/oauth2/token`, tokenForm(e, { grant_type: 'authorization_code', code, redirect_uri: redirectUri }));
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({ instance_url: e.url, token_type: 'Bearer', refresh_token: expect.any(String), access_token: expect.any(String) });
    expect(exchanged.body.expires_in).toBeUndefined();
    expect(exchanged.body.issued_at).toMatch(/^\d{13}$/);
    expect(exchanged.body.id).toMatch(/\/id\/00D\w{15}\/005\w{15}$/);

    const reused = await call(`${e.url}/services/oauth2/token`, tokenForm(e, { grant_type: 'authorization_code', code, redirect_uri: redirectUri }));
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const refreshed = await call(`${e.url}/services/oauth2/token`, tokenForm(e, { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token }));
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toBeUndefined();
    expect(e.grants).toEqual({ authorization_code: 1, refresh_token: 1 });

    const unknown = await call(`${e.url}/services/oauth2/token`, tokenForm(e, { grant_type: 'refresh_token', refresh_token: 'nope' }));
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'expired access/refresh token' } });
    const badSecret = await call(`${e.url}/services/oauth2/token`, { ...tokenForm(e, { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token, client_secret: 'wrong' }) });
    expect(badSecret).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
  });

  it('answers 401 INVALID_SESSION_ID without a session and once sessions expire', async () => {
    const e = await start({ accessTokenTtlSeconds: 3600 });
    expect(await call(`${e.url}${soql('SELECT Id FROM Contact')}`)).toMatchObject({ status: 401, body: [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }] });
    const { token } = await accessToken(e);
    expect((await api(e, 'GET', soql('SELECT Id FROM Contact'), { token })).status).toBe(200);
    e.expireAccessTokens();
    expect(await api(e, 'GET', soql('SELECT Id FROM Contact'), { token })).toMatchObject({ status: 401, body: [{ errorCode: 'INVALID_SESSION_ID' }] });
  });
});

describe('Salesforce emulator: data', () => {
  it('seeds records with 18-character ids of each key prefix and Salesforce datetimes', async () => {
    const e = await start();
    const prefixes = { contact: '003', account: '001', opportunity: '006', lead: '00Q' } as const;
    for (const [collection, prefix] of Object.entries(prefixes) as Array<[keyof typeof prefixes, string]>) {
      const objects = e.objects(collection);
      expect(objects).toHaveLength(10);
      for (const o of objects) {
        expect(o.Id).toMatch(new RegExp(`^${prefix}[0-9A-Za-z]{15}$`));
        expect(o.attributes).toEqual({ type: expect.any(String), url: `${API}/sobjects/${(o.attributes as { type: string }).type}/${o.Id}` });
        for (const f of ['CreatedDate', 'LastModifiedDate', 'SystemModstamp']) expect(o[f]).toMatch(SF_DATETIME);
      }
    }
  });

  it('pages a query with nextRecordsUrl, honouring Sforce-Query-Options batchSize', async () => {
    const e = await start({ objects: 450 });
    const { token } = await accessToken(e);
    const first = await api(e, 'GET', soql('SELECT Id, LastName, SystemModstamp FROM Contact ORDER BY SystemModstamp ASC, Id ASC'), { token, headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ totalSize: 450, done: false });
    expect(first.body.records).toHaveLength(200);
    expect(first.body.nextRecordsUrl).toMatch(/^\/services\/data\/v67\.0\/query\/01g[0-9A-Za-z]{15}-200$/);
    expect(first.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/100000$/);
    const ids: string[] = first.body.records.map((r: { Id: string }) => r.Id);
    let next: string | undefined = first.body.nextRecordsUrl;
    while (next) {
      const page = await api(e, 'GET', next, { token });
      ids.push(...page.body.records.map((r: { Id: string }) => r.Id));
      next = page.body.done ? undefined : page.body.nextRecordsUrl;
    }
    expect(new Set(ids).size).toBe(450);
    const key = (o: Record<string, unknown>) => `${String(o.SystemModstamp)} ${String(o.Id)}`;
    const stamps = e.objects('contact').sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(ids).toEqual(stamps.map((o) => o.Id));
    // The seeded data loads share SystemModstamp seconds.
    expect(new Set(stamps.map((o) => o.SystemModstamp)).size).toBeLessThan(450);

    const again = await api(e, 'GET', soql('SELECT Id FROM Contact'), { token, headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    e.expireQueryLocators();
    expect(await api(e, 'GET', again.body.nextRecordsUrl, { token })).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_QUERY_LOCATOR' }] });
  });

  it('filters on SystemModstamp, orders, limits, and refuses what it cannot parse', async () => {
    const e = await start({ objects: 30 });
    const { token } = await accessToken(e);
    const all = e.objects('account').map((o) => String(o.SystemModstamp)).sort();
    const pivot = all[15] as string;
    const literal = pivot.replace('.000+0000', 'Z');
    const after = await api(e, 'GET', soql(`SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp > ${literal} ORDER BY SystemModstamp ASC, Id ASC`), { token });
    expect(after.body.totalSize).toBe(all.filter((s) => s > pivot).length);
    const atOrAfter = await api(e, 'GET', soql(`SELECT Id FROM Account WHERE SystemModstamp >= ${literal}`), { token });
    expect(atOrAfter.body.totalSize).toBe(all.filter((s) => s >= pivot).length);
    const newest = await api(e, 'GET', soql('SELECT Id, SystemModstamp FROM Account ORDER BY SystemModstamp DESC, Id DESC LIMIT 2'), { token });
    expect(newest.body.records.map((r: { SystemModstamp: string }) => r.SystemModstamp)[0]).toBe(all[all.length - 1]);
    expect(newest.body.records).toHaveLength(2);
    const someIds = e.objects('account').slice(0, 3).map((o) => o.Id as string);
    const byIds = await api(e, 'GET', soql(`SELECT Id FROM Account WHERE Id IN (${someIds.map((id) => `'${id}'`).join(', ')})`), { token });
    expect(byIds.body.records.map((r: { Id: string }) => r.Id).sort()).toEqual([...someIds].sort());

    expect(await api(e, 'GET', soql("SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b'"), { token })).toMatchObject({ status: 400, body: [{ errorCode: 'MALFORMED_QUERY' }] });
    expect(await api(e, 'GET', soql('SELECT Id FROM Account GROUP BY Name'), { token })).toMatchObject({ status: 400, body: [{ errorCode: 'MALFORMED_QUERY' }] });
    expect(await api(e, 'GET', soql('SELECT Nope FROM Account'), { token })).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD' }] });
    expect(await api(e, 'GET', soql('SELECT Id FROM Widget'), { token })).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_TYPE' }] });
    expect(await api(e, 'GET', soql("SELECT Id FROM Account WHERE SystemModstamp > '2024-01-01T00:00:00Z'"), { token })).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_QUERY_FILTER_OPERATOR' }] });
  });

  it('describes objects, creates, updates and deletes records, and logs the deletes', async () => {
    const e = await start();
    const { token } = await accessToken(e);
    const described = await api(e, 'GET', `${API}/sobjects/Contact/describe`, { token });
    const names: string[] = described.body.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(['Id', 'LastName', 'Email', 'AccountId', 'SystemModstamp']));
    expect(Object.keys(e.objects('contact')[0] as object)).toEqual(['attributes', ...names]);

    expect(await api(e, 'POST', `${API}/sobjects/Contact/`, { token, body: { FirstName: 'No' } })).toMatchObject({ status: 400, body: [{ errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] }] });
    expect(await api(e, 'POST', `${API}/sobjects/Contact/`, { token, body: { LastName: 'X', Bogus__c: 1 } })).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD' }] });
    const created = await api(e, 'POST', `${API}/sobjects/Contact/`, { token, body: { FirstName: 'Grace', LastName: 'Hopper', Email: 'grace@example.com' } });
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^003\w{15}$/), success: true, errors: [] } });
    const id = created.body.id as string;
    const read = await api(e, 'GET', `${API}/sobjects/Contact/${id}`, { token });
    expect(read.body).toMatchObject({ Id: id, Name: 'Grace Hopper', IsDeleted: false, CreatedDate: expect.stringMatching(SF_DATETIME) });
    expect(read.body).toEqual(e.objects('contact').find((o) => o.Id === id));

    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await api(e, 'PATCH', `${API}/sobjects/Contact/${id}`, { token, body: { Title: 'Rear Admiral' } })).status).toBe(204);
    const updated = await api(e, 'GET', `${API}/sobjects/Contact/${id}`, { token });
    expect(updated.body.Title).toBe('Rear Admiral');
    expect(updated.body.SystemModstamp > read.body.SystemModstamp).toBe(true);
    expect(await api(e, 'PATCH', `${API}/sobjects/Contact/${id}`, { token, body: { CreatedDate: '2020-01-01T00:00:00.000+0000' } })).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE' }] });

    const before = new Date(Date.now() - 5 * 60_000).toISOString();
    expect((await api(e, 'DELETE', `${API}/sobjects/Contact/${id}`, { token })).status).toBe(204);
    expect(await api(e, 'GET', `${API}/sobjects/Contact/${id}`, { token })).toMatchObject({ status: 404, body: [{ errorCode: 'ENTITY_IS_DELETED' }] });
    expect(await api(e, 'DELETE', `${API}/sobjects/Contact/${id}`, { token })).toMatchObject({ status: 404, body: [{ errorCode: 'ENTITY_IS_DELETED' }] });
    expect(e.objects('contact').some((o) => o.Id === id)).toBe(false);

    const log = await api(e, 'GET', `${API}/sobjects/Contact/deleted/?${new URLSearchParams({ start: before, end: new Date().toISOString() })}`, { token });
    expect(log.body).toMatchObject({ deletedRecords: [{ id, deletedDate: expect.stringMatching(SF_DATETIME) }], earliestDateAvailable: expect.stringMatching(SF_DATETIME), latestDateCovered: expect.stringMatching(/:00\.000\+0000$/) });
    const tooShort = await api(e, 'GET', `${API}/sobjects/Contact/deleted/?${new URLSearchParams({ start: new Date(Date.now() - 30_000).toISOString(), end: new Date().toISOString() })}`, { token });
    expect(tooShort).toMatchObject({ status: 400, body: [{ errorCode: 'INVALID_REPLICATION_DATE' }] });

    expect((await api(e, 'GET', soql(`SELECT Id FROM Contact WHERE Id IN ('${id}')`), { token })).body.totalSize).toBe(0);
    const recycled = await api(e, 'GET', `${API}/queryAll?q=${encodeURIComponent(`SELECT Id, IsDeleted FROM Contact WHERE Id IN ('${id}')`)}`, { token });
    expect(recycled.body.records).toEqual([{ attributes: { type: 'Contact', url: `${API}/sobjects/Contact/${id}` }, Id: id, IsDeleted: true }]);
  });

  it('answers its rate limit with 403 REQUEST_LIMIT_EXCEEDED, which the provider reads as a rate limit', async () => {
    const e = await start();
    const { token } = await accessToken(e);
    e.setRateLimit({ requests: 2, windowMs: 60_000 });
    await api(e, 'GET', soql('SELECT Id FROM Lead'), { token });
    await api(e, 'GET', soql('SELECT Id FROM Lead'), { token });
    const refused = await fetch(`${e.url}${soql('SELECT Id FROM Lead')}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await refused.text();
    expect(refused.status).toBe(403);
    expect(JSON.parse(body)).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    expect(isSalesforceRateLimited({ status: 403, headers: refused.headers, body })).toBe(true);
    expect(isSalesforceRateLimited({ status: 403, headers: new Headers(), body: '[{"message":"no","errorCode":"INSUFFICIENT_ACCESS"}]' })).toBe(false);
  });
});

/** The engine's token source reduced to what a provider sees: refresh grants through the provider's own oauth. */
function tokenSource(e: SalesforceEmulator, refreshToken = e.issueRefreshToken()): OAuthTokenSource {
  let tokens: OAuthTokenSet | null = null;
  const grant = async () => {
    tokens = await salesforceProvider.oauth!.requestToken({ grant: { type: 'refresh_token', refreshToken }, clientId: e.client.clientId, clientSecret: e.client.clientSecret, apiBaseUrl: e.url, fetch });
    return tokens;
  };
  return { current: async () => tokens ?? grant(), refresh: grant };
}

function session(e: SalesforceEmulator): ProviderSession {
  return salesforceProvider.connect({
    credential: { kind: 'salesforce_oauth2', accessToken: null, accessTokenExpiresAt: null, refreshToken: 'unused', apiBaseUrl: e.url, metadata: {}, oauthApp: { clientId: e.client.clientId, clientSecret: e.client.clientSecret } },
    fetch,
    oauth: tokenSource(e),
  });
}

async function backfill(s: ProviderSession, collectionId: string): Promise<UpstreamObject[]> {
  const objects: UpstreamObject[] = [];
  let cursor: string | null = null;
  do {
    const page = await s.listPage(collectionId, cursor);
    objects.push(...page.objects);
    cursor = page.nextCursor;
  } while (cursor);
  return objects;
}

/** Polls until the changes feed has nothing more, answering what it yielded (latest per id). */
async function drain(s: ProviderSession, collectionId: string, cursor: string): Promise<{ changes: Map<string, UpstreamObject>; cursor: string }> {
  const changes = new Map<string, UpstreamObject>();
  for (;;) {
    const page = await s.changesSince(collectionId, cursor);
    for (const o of page.objects) changes.set(o.upstreamId, o);
    cursor = page.cursor;
    if (!page.hasMore) return { changes, cursor };
  }
}

describe('Salesforce provider against the emulator', () => {
  it('backfills every record as the API returns it, across batches and an expired query locator', async () => {
    const e = await start({ objects: 120, defaultBatchSize: 25 });
    const s = session(e);
    const first = await s.listPage('salesforce:contact', null);
    expect(first.totalCount).toBe(120);
    expect(first.objects).toHaveLength(25);
    e.expireQueryLocators();
    const listed = [...first.objects];
    for (let cursor = first.nextCursor; cursor; ) {
      const page = await s.listPage('salesforce:contact', cursor);
      listed.push(...page.objects);
      cursor = page.nextCursor;
    }
    expect(listed.map((o) => o.upstreamId).sort()).toEqual(e.objects('contact').map((o) => o.Id as string).sort());
    const byId = new Map(e.objects('contact').map((o) => [o.Id as string, o]));
    for (const o of listed) expect(o.data).toEqual(byId.get(o.upstreamId));
    expect(listed[0]!.upstreamCreatedAt).toBeInstanceOf(Date);
  });

  it('picks up changes, same-second updates and deletes (with the recycle bin state) without replaying them', async () => {
    const e = await start({ objects: 40 });
    const s = session(e);
    const initial = await s.initialChangesCursor('salesforce:opportunity');
    await backfill(s, 'salesforce:opportunity');
    expect((await drain(s, 'salesforce:opportunity', initial)).changes.size).toBe(0);

    const made = e.mutateRandomly(30, ['opportunity']);
    let { changes, cursor } = await drain(s, 'salesforce:opportunity', initial);
    const live = new Map(e.objects('opportunity').map((o) => [o.Id as string, o]));
    for (const id of [...made.created, ...made.updated]) {
      if (made.deleted.includes(id)) continue;
      expect(changes.get(id)?.data).toEqual(live.get(id));
    }
    const recycled = new Map(e.deletedObjects('opportunity').map((o) => [o.Id as string, o]));
    for (const id of made.deleted) {
      expect(changes.get(id)).toMatchObject({ deleted: true, data: recycled.get(id) });
    }
    expect((await drain(s, 'salesforce:opportunity', cursor)).changes.size).toBe(0);

    // Two updates of one record in the same second: the second is not mistaken for the first.
    const target = e.objects('opportunity')[0]!.Id as string;
    const token = (await accessToken(e)).token;
    await api(e, 'PATCH', `${API}/sobjects/Opportunity/${target}`, { token, body: { Amount: 1 } });
    ({ changes, cursor } = await drain(s, 'salesforce:opportunity', cursor));
    expect(changes.get(target)?.data.Amount).toBe(1);
    await api(e, 'PATCH', `${API}/sobjects/Opportunity/${target}`, { token, body: { Amount: 2 } });
    ({ changes, cursor } = await drain(s, 'salesforce:opportunity', cursor));
    expect(changes.get(target)?.data.Amount).toBe(2);
    expect((await drain(s, 'salesforce:opportunity', cursor)).changes.size).toBe(0);
  });

  it('loses no change among more than a batch made in the same second, and applies none twice', async () => {
    const e = await start({ objects: 400, defaultBatchSize: 200 });
    const s = session(e);
    const cursor = await s.initialChangesCursor('salesforce:lead');
    await backfill(s, 'salesforce:lead');
    const frozen = Date.now() + 2000;
    vi.spyOn(Date, 'now').mockReturnValue(frozen);
    e.mutateRandomly(1000, ['lead']);
    vi.restoreAllMocks();
    const live = e.objects('lead').filter((o) => o.SystemModstamp === new Date(Math.floor(frozen / 1000) * 1000).toISOString().replace('Z', '+0000'));
    expect(live.length).toBeGreaterThan(400); // more ties than two batches

    const seen: string[] = [];
    let position = cursor;
    for (let calls = 0; ; calls++) {
      expect(calls).toBeLessThan(20);
      const page = await s.changesSince('salesforce:lead', position);
      seen.push(...page.objects.filter((o) => !o.deleted).map((o) => o.upstreamId));
      position = page.cursor;
      if (!page.hasMore) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(live.map((o) => o.Id as string)));
    expect((await drain(s, 'salesforce:lead', position)).changes.size).toBe(0);
  });

  it('creates, updates and deletes through mutate', async () => {
    const e = await start();
    const s = session(e);
    const created = await s.mutate('salesforce:lead', 'create', { upstreamId: null, data: { LastName: 'Lamarr', Company: 'Frequency Hopping Inc.' }, idempotencyKey: null });
    expect(created.upstreamId).toMatch(/^00Q\w{15}$/);
    expect(created.data).toEqual(e.objects('lead').find((o) => o.Id === created.upstreamId));
    const updated = await s.mutate('salesforce:lead', 'update', { upstreamId: created.upstreamId, data: { Rating: 'Hot' }, idempotencyKey: null });
    expect(updated.data.Rating).toBe('Hot');
    const deleted = await s.mutate('salesforce:lead', 'delete', { upstreamId: created.upstreamId, data: {}, idempotencyKey: null });
    expect(deleted).toMatchObject({ deleted: true, data: { Id: created.upstreamId, IsDeleted: true, Rating: 'Hot' } });
    const again = await s.mutate('salesforce:lead', 'delete', { upstreamId: created.upstreamId, data: {}, idempotencyKey: null });
    expect(again.data).toEqual(deleted.data);
  });

  it('refreshes an expired session once and turns a refused refresh token into an auth error', async () => {
    const e = await start();
    const s = session(e);
    await s.listPage('salesforce:account', null);
    const grants = e.grants.refresh_token;
    e.expireAccessTokens();
    expect((await s.listPage('salesforce:account', null)).objects).toHaveLength(10);
    expect(e.grants.refresh_token).toBe(grants + 1);
    await expect(
      salesforceProvider.oauth!.requestToken({ grant: { type: 'refresh_token', refreshToken: 'revoked' }, clientId: e.client.clientId, clientSecret: e.client.clientSecret, apiBaseUrl: e.url, fetch }),
    ).rejects.toBeInstanceOf(UpstreamAuthError);
  });
});
