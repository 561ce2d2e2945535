import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJiraEmulator, type JiraEmulator } from '../../../../src/emulators/jira/index.ts';
import { jiraOAuth } from '../../../../src/sync/providers/jira/oauth.ts';
import { jiraProvider } from '../../../../src/sync/providers/jira/index.ts';
import { UpstreamAuthError, UpstreamRequestError, type OAuthTokenSet, type OAuthTokenSource, type ProviderContext } from '../../../../src/sync/providers/provider.ts';
import { WebhookInbox } from '../../../support/webhook-inbox.ts';

const webhooks = jiraProvider.webhooks!;

function basicContext(emulator: JiraEmulator): ProviderContext {
  return {
    credential: { kind: 'jira', accessToken: emulator.apiToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: { email: emulator.email }, oauthApp: null },
    fetch: globalThis.fetch,
    oauth: null,
  };
}

function oauthContext(emulator: JiraEmulator): ProviderContext {
  const app = { clientId: emulator.oauthClient.clientId, clientSecret: emulator.oauthClient.clientSecret };
  let refresh = emulator.issueRefreshToken();
  let current: OAuthTokenSet | null = null;
  const grant = async () => {
    const next = await jiraOAuth.requestToken({ grant: { type: 'refresh_token', refreshToken: refresh }, ...app, apiBaseUrl: emulator.url, fetch });
    refresh = next.refreshToken ?? refresh;
    current = next;
    return next;
  };
  const oauth: OAuthTokenSource = { current: async () => current ?? grant(), refresh: async () => grant() };
  return { credential: { kind: 'jira_oauth2', accessToken: null, accessTokenExpiresAt: null, refreshToken: 'unused', apiBaseUrl: emulator.url, metadata: {}, oauthApp: app }, fetch: globalThis.fetch, oauth };
}

describe('Jira webhooks against the emulator', () => {
  let emulator: JiraEmulator;
  const receiver = new WebhookInbox('/v1/webhooks/in/3f6c0b1e-sync');
  const ALL = ['jira:issue', 'jira:project', 'jira:user'];

  beforeAll(async () => {
    await receiver.start();
    emulator = await startJiraEmulator({ seed: { issue: 30, project: 4, user: 6 }, randomSeed: 9, webhookRetryDelaysMs: [10] });
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('API token: registers an admin webhook whose signed deliveries verify and name the changed objects; renews in place; removes it', async () => {
    const context = basicContext(emulator);
    const registered = await webhooks.register!(context, { url: receiver.url, collectionIds: ALL, previous: null, previousUrl: null });
    expect(registered.externalIds).toEqual([expect.stringMatching(/^admin:\d+$/)]);
    expect(registered.secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(registered.expiresAt).toBeNull();
    const [hook] = emulator.registeredWebhooks();
    expect(hook).toMatchObject({ kind: 'admin', url: receiver.url, secret: registered.secret });
    expect(hook!.events).toEqual(expect.arrayContaining(['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted', 'project_updated', 'user_updated']));

    const issueId = String(emulator.objects('issue')[3]!.id);
    emulator.updateIssue(issueId, { summary: 'Webhook me' });
    emulator.mutateRandomly(4, ['project', 'user']);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(5);
    const hints = receiver.arrived.map((request) => {
      expect(webhooks.verify(request, registered.secret, new Date())).toEqual({ ok: true });
      expect(webhooks.verify(request, 'another-secret', new Date())).toEqual({ ok: false, code: 'signature_invalid' });
      const parsed = webhooks.parse(request);
      expect(parsed.deliveryId).toBeTruthy();
      return parsed.hints;
    });
    expect(hints[0]).toEqual([{ collectionId: 'jira:issue', upstreamId: issueId, deleted: false }]);
    const projectIds = new Set(emulator.objects('project').map((p) => p.id));
    const userIds = new Set(emulator.objects('user').map((u) => u.accountId));
    for (const [hint] of hints.slice(1)) expect(hint!.collectionId === 'jira:project' ? projectIds.has(hint!.upstreamId) : userIds.has(hint!.upstreamId)).toBe(true);
    receiver.reset();

    const renewed = await webhooks.register!(context, { url: receiver.url, collectionIds: ['jira:issue'], previous: registered, previousUrl: receiver.url });
    expect(renewed).toEqual({ externalIds: registered.externalIds, secret: registered.secret, expiresAt: null });
    expect(emulator.registeredWebhooks()).toEqual([expect.objectContaining({ events: ['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted'] })]);

    await webhooks.unregister!(context, registered);
    expect(emulator.registeredWebhooks()).toEqual([]);
    await webhooks.unregister!(context, registered); // already gone: 404 counts as removed
    // A renewal whose webhook was removed upstream registers a new one with the same secret.
    const again = await webhooks.register!(context, { url: receiver.url, collectionIds: ALL, previous: registered, previousUrl: receiver.url });
    expect(again.externalIds).not.toEqual(registered.externalIds);
    expect(again.secret).toBe(registered.secret);
    await webhooks.unregister!(context, again);
  });

  it('API token of a non-administrator: registration is refused (403)', async () => {
    const notAdmin = await startJiraEmulator({ objects: 2, admin: false });
    try {
      await expect(webhooks.register!(basicContext(notAdmin), { url: receiver.url, collectionIds: ALL, previous: null, previousUrl: null })).rejects.toBeInstanceOf(UpstreamAuthError);
    } finally {
      await notAdmin.close();
    }
  });

  it('OAuth 2.0 app: registers a dynamic webhook for issues (JWT-signed deliveries, 30-day expiry), refreshes it, replaces it when the URL changes, removes it', async () => {
    const context = oauthContext(emulator);
    await expect(webhooks.register!(context, { url: receiver.url, collectionIds: ['jira:user'], previous: null, previousUrl: null })).rejects.toBeInstanceOf(UpstreamRequestError);
    const registered = await webhooks.register!(context, { url: receiver.url, collectionIds: ALL, previous: null, previousUrl: null });
    expect(registered.externalIds).toEqual([expect.stringMatching(/^dynamic:\d+$/)]);
    expect(registered.secret).toBe(emulator.oauthClient.clientSecret);
    expect(registered.expiresAt!.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const [hook] = emulator.registeredWebhooks();
    expect(hook).toMatchObject({ kind: 'dynamic', url: receiver.url, events: ['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted'] });

    const issueId = String(emulator.objects('issue')[5]!.id);
    emulator.deleteIssue(issueId);
    await emulator.webhooks.settled();
    expect(receiver.arrived).toHaveLength(1);
    const [delivery] = receiver.arrived;
    expect(delivery!.headers.get('authorization')).toMatch(/^Bearer /);
    expect(webhooks.verify(delivery!, webhooks.credentialSecret!(context.credential)!, new Date())).toEqual({ ok: true });
    expect(webhooks.verify(delivery!, 'not-the-client-secret', new Date())).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.parse(delivery!).hints).toEqual([{ collectionId: 'jira:issue', upstreamId: issueId, deleted: true }]);
    receiver.reset();

    const refreshed = await webhooks.register!(context, { url: receiver.url, collectionIds: ALL, previous: registered, previousUrl: receiver.url });
    expect(refreshed.externalIds).toEqual(registered.externalIds);
    expect(refreshed.expiresAt!.getTime()).toBeGreaterThanOrEqual(registered.expiresAt!.getTime());
    const moved = await webhooks.register!(context, { url: `${receiver.url}-moved`, collectionIds: ALL, previous: refreshed, previousUrl: receiver.url });
    expect(moved.externalIds).not.toEqual(registered.externalIds);
    expect(emulator.registeredWebhooks().map((w) => w.url)).toEqual([`${receiver.url}-moved`]);
    await webhooks.unregister!(context, moved);
    expect(emulator.registeredWebhooks()).toEqual([]);
  });

  it('fetchObject answers each collection in its listing shape, and null for what is gone', async () => {
    for (const context of [basicContext(emulator), oauthContext(emulator)]) {
      const session = jiraProvider.connect(context);
      const issue = emulator.objects('issue')[0]!;
      const fetched = await session.fetchObject!('jira:issue', String(issue.id));
      expect(fetched).toMatchObject({ upstreamId: String(issue.id), deleted: false, data: issue });
      expect(fetched!.upstreamUpdatedAt).toBeInstanceOf(Date);
      const project = emulator.objects('project')[1]!;
      expect(await session.fetchObject!('jira:project', String(project.id))).toMatchObject({ upstreamId: project.id, data: project, deleted: false });
      const user = emulator.objects('user')[2]!;
      expect(await session.fetchObject!('jira:user', String(user.accountId))).toMatchObject({ upstreamId: user.accountId, data: user, deleted: false });
      expect(await session.fetchObject!('jira:project', '99999')).toBeNull();
      expect(await session.fetchObject!('jira:user', 'no-such-account')).toBeNull();
    }
    const gone = String(emulator.objects('issue')[1]!.id);
    emulator.deleteIssue(gone);
    expect(await jiraProvider.connect(basicContext(emulator)).fetchObject!('jira:issue', gone)).toBeNull();
    await emulator.webhooks.settled();
  });
});
