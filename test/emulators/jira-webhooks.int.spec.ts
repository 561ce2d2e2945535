import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startJiraEmulator, type JiraEmulator } from '../../src/emulators/jira/index.ts';
import { WebhookInbox } from '../support/webhook-inbox.ts';

/** Jira's admin-webhook signature, computed here from its documentation (WebSub `sha256=<hex>`). */
const hubSignature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** An HS256 JWT's claims when its signature checks with `secret`, else null. */
function verifiedJwtClaims(token: string, secret: string): Record<string, unknown> | null {
  const [header, payload, signature] = token.split('.');
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  if (signature !== expected) return null;
  expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'HS256' });
  return JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
}

async function call(emulator: JiraEmulator, method: string, path: string, options: { body?: unknown; bearer?: string } = {}): Promise<{ status: number; body: any }> {
  const authorization = options.bearer ? `Bearer ${options.bearer}` : `Basic ${Buffer.from(`${emulator.email}:${emulator.apiToken}`).toString('base64')}`;
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { accept: 'application/json', authorization, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function accessToken(emulator: JiraEmulator): Promise<string> {
  const answer = await fetch(`${emulator.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret, refresh_token: emulator.issueRefreshToken() }),
  });
  return ((await answer.json()) as { access_token: string }).access_token;
}

describe('Jira emulator: webhooks', () => {
  let emulator: JiraEmulator;
  const receiver = new WebhookInbox();
  const cli = new WebhookInbox();

  beforeAll(async () => {
    await receiver.start();
    await cli.start();
    emulator = await startJiraEmulator({ objects: 20, randomSeed: 3, webhookUrl: cli.url, webhookSecret: 'cli-secret', webhookRetryDelaysMs: [20, 20, 20, 20, 20] });
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.close();
    await cli.close();
  });
  afterEach(async () => {
    await emulator.webhooks.settled();
    receiver.reset();
    cli.reset();
  });

  it('registers an admin webhook with a secret and signs the change it reports with X-Hub-Signature', async () => {
    const created = await call(emulator, 'POST', '/rest/webhooks/1.0/webhook', {
      body: { name: 'sync', url: receiver.url, events: ['jira:issue_updated', 'jira:issue_deleted'], excludeBody: false, secret: 'Sup3rSecret' },
    });
    expect(created.status).toBe(201);
    expect(created.body.self).toMatch(/\/rest\/webhooks\/1\.0\/webhook\/\d+$/);
    expect(created.body).not.toHaveProperty('secret');
    const id = String(emulator.objects('issue')[0]!.id);
    expect((await call(emulator, 'PUT', `/rest/api/3/issue/${id}`, { body: { fields: { summary: 'Changed by the test' } } })).status).toBe(204);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(1);
    const [delivery] = receiver.arrived;
    expect(delivery!.headers.get('x-hub-signature')).toBe(hubSignature('Sup3rSecret', delivery!.text));
    expect(delivery!.headers.get('x-atlassian-webhook-identifier')).toBeTruthy();
    expect(delivery!.headers.get('x-atlassian-webhook-retry')).toBeNull();
    const body = delivery!.json<{ timestamp: unknown; changelog: { items: unknown[] } }>();
    expect(body).toMatchObject({ webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_updated', issue: { id, fields: { summary: 'Changed by the test' } } });
    expect(typeof body.timestamp).toBe('number');
    expect(body.changelog.items).toContainEqual(expect.objectContaining({ field: 'summary', toString: 'Changed by the test' }));
    // Not subscribed: a create reaches only --webhook-url.
    await call(emulator, 'POST', '/rest/api/3/issue', { body: { fields: { project: { id: '10000' }, summary: 'New', issuetype: { name: 'Task' } } } });
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(1);
    expect(cli.arrived.map((r) => r.json<{ webhookEvent: string }>().webhookEvent)).toEqual(['jira:issue_updated', 'jira:issue_created']);
    expect(cli.arrived.every((r) => r.headers.get('x-hub-signature') === hubSignature('cli-secret', r.text))).toBe(true);
    expect((await call(emulator, 'DELETE', created.body.self.replace(emulator.url, ''))).status).toBe(204);
  });

  it('retries a delivery answered 500 with the same identifier and X-Atlassian-Webhook-Retry', async () => {
    const created = await call(emulator, 'POST', '/rest/webhooks/1.0/webhook', { body: { name: 'retry', url: receiver.url, events: ['jira:issue_deleted'], secret: 's3cret' } });
    receiver.answerNext(500, 503);
    const id = String(emulator.objects('issue')[1]!.id);
    expect((await call(emulator, 'DELETE', `/rest/api/3/issue/${id}`)).status).toBe(204);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(3);
    expect(new Set(receiver.arrived.map((r) => r.headers.get('x-atlassian-webhook-identifier'))).size).toBe(1);
    expect(receiver.arrived.map((r) => r.headers.get('x-atlassian-webhook-retry'))).toEqual([null, '1', '2']);
    for (const r of receiver.arrived) expect(r.headers.get('x-hub-signature')).toBe(hubSignature('s3cret', r.text));
    expect(receiver.arrived[2]!.json()).toMatchObject({ webhookEvent: 'jira:issue_deleted', issue: { id } });
    await call(emulator, 'DELETE', created.body.self.replace(emulator.url, ''));
  });

  it('refuses admin webhooks to a non-administrator and bad registrations with Jira error bodies', async () => {
    const bad = await call(emulator, 'POST', '/rest/webhooks/1.0/webhook', { body: { name: '', url: 'not a url', events: ['no_such_event'] } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['events', 'name', 'url']);
    const notAdmin = await startJiraEmulator({ objects: 2, admin: false });
    try {
      const refused = await call(notAdmin, 'POST', '/rest/webhooks/1.0/webhook', { body: { name: 'x', url: receiver.url, events: ['jira:issue_updated'] } });
      expect(refused.status).toBe(403);
      expect(refused.body.errorMessages[0]).toMatch(/Administer Jira/);
    } finally {
      await notAdmin.close();
    }
  });

  it('registers, lists, refreshes and deletes dynamic webhooks of the OAuth app, whose deliveries carry a client-secret JWT', async () => {
    const gateway = `/ex/jira/${emulator.cloudId}/rest/api/3`;
    expect((await call(emulator, 'POST', '/rest/api/3/webhook', { body: { url: receiver.url, webhooks: [{ events: ['jira:issue_updated'], jqlFilter: 'project = 10000' }] } })).status).toBe(403);
    const token = await accessToken(emulator);
    const registered = await call(emulator, 'POST', `${gateway}/webhook`, {
      bearer: token,
      body: { url: receiver.url, webhooks: [{ events: ['jira:issue_updated', 'jira:issue_created', 'jira:issue_deleted'], jqlFilter: 'project IN (10000)' }, { events: ['jira:issue_updated'], jqlFilter: 'project is not EMPTY' }] },
    });
    expect(registered.status).toBe(200);
    const [created, refused] = registered.body.webhookRegistrationResult;
    expect(created.createdWebhookId).toEqual(expect.any(Number));
    expect(refused.errors.length).toBeGreaterThan(0);
    const listed = await call(emulator, 'GET', `${gateway}/webhook`, { bearer: token });
    expect(listed.body.values).toEqual([expect.objectContaining({ id: created.createdWebhookId, jqlFilter: 'project IN (10000)', expirationDate: expect.any(Number) })]);
    // Jira's list does not answer the webhook's URL (Webhook in its REST description has none).
    expect(listed.body.values[0]).not.toHaveProperty('url');
    const lifetime = listed.body.values[0].expirationDate - Date.now();
    expect(lifetime).toBeGreaterThan(29 * 86_400_000);

    const issue = emulator.objects('issue').find((i) => (i.fields as any).project.id === '10000')!;
    emulator.updateIssue(String(issue.id), { labels: ['webhook'] });
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(1);
    const [delivery] = receiver.arrived;
    expect(delivery!.headers.get('x-hub-signature')).toBeNull();
    const claims = verifiedJwtClaims(delivery!.headers.get('authorization')!.replace(/^Bearer /, ''), emulator.oauthClient.clientSecret);
    expect(claims).toMatchObject({ iss: emulator.oauthClient.clientId, exp: expect.any(Number), iat: expect.any(Number) });
    expect(verifiedJwtClaims(delivery!.headers.get('authorization')!.replace(/^Bearer /, ''), 'wrong')).toBeNull();
    expect(delivery!.json()).toMatchObject({ webhookEvent: 'jira:issue_updated', matchedWebhookIds: [created.createdWebhookId], issue: { id: String(issue.id) } });

    // An issue outside the JQL filter sends nothing to the dynamic webhook.
    const other = emulator.objects('issue').find((i) => (i.fields as any).project.id !== '10000');
    if (other) {
      receiver.reset();
      emulator.updateIssue(String(other.id), { labels: ['elsewhere'] });
      await emulator.webhooks.settled();
      expect(receiver.arrived).toHaveLength(0);
    }

    const refreshed = await call(emulator, 'PUT', `${gateway}/webhook/refresh`, { bearer: token, body: { webhookIds: [created.createdWebhookId] } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expirationDate).toBeGreaterThanOrEqual(listed.body.values[0].expirationDate);
    expect((await call(emulator, 'DELETE', `${gateway}/webhook`, { bearer: token, body: {} })).status).toBe(400);
    expect((await call(emulator, 'DELETE', `${gateway}/webhook`, { bearer: token, body: { webhookIds: [created.createdWebhookId] } })).status).toBe(202);
    expect((await call(emulator, 'GET', `${gateway}/webhook`, { bearer: token })).body.values).toEqual([]);
  });

  it('sends project and user changes of random mutations to --webhook-url', async () => {
    emulator.mutateRandomly(12, ['project', 'user']);
    await emulator.webhooks.settled();
    const events = cli.arrived.map((r) => r.json<{ webhookEvent: string; project: { id: unknown } }>());
    expect(events).toHaveLength(12);
    for (const event of events) {
      if (event.webhookEvent === 'project_updated') expect(event.project.id).toEqual(expect.any(Number));
      else expect(event).toMatchObject({ webhookEvent: 'user_updated', user: { accountId: expect.any(String) } });
    }
  });

  it('answers one project through project/search?id= and one user through user/bulk', async () => {
    const project = emulator.objects('project')[1]!;
    const found = await call(emulator, 'GET', `/rest/api/3/project/search?id=${project.id}`);
    expect(found.body.values).toEqual([project]);
    expect((await call(emulator, 'GET', '/rest/api/3/project/search?id=99999')).body.values).toEqual([]);
    const user = emulator.objects('user')[2]!;
    const bulk = await call(emulator, 'GET', `/rest/api/3/user/bulk?accountId=${user.accountId}`);
    expect(bulk.body.values).toEqual([user]);
    expect((await call(emulator, 'GET', '/rest/api/3/user/bulk?accountId=nobody')).body.values).toEqual([]);
  });
});
