import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJiraEmulator, type JiraEmulator } from '../../../../src/emulators/jira/index.ts';
import { UpstreamAuthError, UpstreamRequestError, type ChangesPage, type ProviderSession } from '../../../../src/sync/providers/provider.ts';
import { RECONCILE_EVERY_POLLS } from '../../../../src/sync/providers/jira/issue-cursor.ts';
import { RELIST_EVERY_POLLS } from '../../../../src/sync/providers/jira/listing-cursor.ts';
import { jiraProvider } from '../../../../src/sync/providers/jira/index.ts';
import { listAll } from '../../../support/provider-session.ts';

function connect(emulator: JiraEmulator, apiToken = emulator.apiToken): ProviderSession {
  return jiraProvider.connect({
    credential: { kind: 'jira', accessToken: apiToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: { email: emulator.email }, oauthApp: null },
    fetch: globalThis.fetch,
    oauth: null,
  });
}


/** `polls` polls from `cursor`, every object they answered (in order) and the last cursor. */
async function poll(session: ProviderSession, collectionId: string, cursor: string, polls: number): Promise<{ pages: ChangesPage[]; cursor: string }> {
  const pages: ChangesPage[] = [];
  for (let i = 0; i < polls; i++) {
    const page = await session.changesSince(collectionId, cursor);
    pages.push(page);
    cursor = page.cursor;
  }
  return { pages, cursor };
}

describe('Jira provider against the emulator', () => {
  let emulator: JiraEmulator;
  let session: ProviderSession;

  beforeAll(async () => {
    emulator = await startJiraEmulator({ seed: { issue: 250, project: 60, user: 120 }, randomSeed: 5, timeZone: 'America/Los_Angeles' });
    session = connect(emulator);
  });
  afterAll(() => emulator?.close());

  it('backfills issues (with the approximate count), projects (with total) and users', async () => {
    const issues = await listAll(session, 'jira:issue');
    expect(issues.total).toBe(250);
    expect(issues.ids.sort()).toEqual(emulator.objects('issue').map((i) => String(i.id)).sort());
    const projects = await listAll(session, 'jira:project');
    expect(projects.total).toBe(60);
    expect(projects.ids).toEqual(emulator.objects('project').map((p) => p.id));
    const users = await listAll(session, 'jira:user');
    expect(users.total).toBeNull();
    expect(users.ids).toEqual(emulator.objects('user').map((u) => u.accountId));
  });

  it('answers each issue change once, and deletes on the reconciling poll', async () => {
    const start = await session.initialChangesCursor('jira:issue');
    const made = emulator.mutateRandomly(30, ['issue']);
    const { pages, cursor } = await poll(session, 'jira:issue', start, RECONCILE_EVERY_POLLS);
    const [first, ...rest] = pages;
    const changed = first!.objects.filter((o) => !o.deleted).map((o) => o.upstreamId);
    const live = new Set(emulator.objects('issue').map((i) => String(i.id)));
    expect(new Set(changed)).toEqual(new Set([...made.created, ...made.updated].filter((id) => live.has(id))));
    // The later polls re-read the same minute and skip what was applied; the last one reconciles ids.
    expect(rest.slice(0, -1).flatMap((p) => p.objects)).toEqual([]);
    const tombstones = pages.at(-1)!.objects.filter((o) => o.deleted);
    const deletedKnown = made.deleted.filter((id) => !made.created.includes(id));
    expect(tombstones.map((t) => t.upstreamId).sort()).toEqual([...new Set(deletedKnown)].sort());
    for (const t of tombstones) expect(t).toMatchObject({ data: { id: t.upstreamId }, partialTombstone: true });
    const quiet = await poll(session, 'jira:issue', cursor, RECONCILE_EVERY_POLLS);
    expect(quiet.pages.flatMap((p) => p.objects)).toEqual([]);
    // A quiet poll leaves the cursor as it was (the session counts polls; no checkpoint to write).
    expect(quiet.pages.map((p) => p.cursor)).toEqual(quiet.pages.map(() => cursor));
  });

  it('answers changed projects and users by content, and those gone', async () => {
    const projects = await session.initialChangesCursor('jira:project');
    const users = await session.initialChangesCursor('jira:user');
    const made = emulator.mutateRandomly(10, ['project', 'user']);
    const projectPolls = await poll(session, 'jira:project', projects, RELIST_EVERY_POLLS);
    const userPolls = await poll(session, 'jira:user', users, RELIST_EVERY_POLLS);
    // Only every RELIST_EVERY_POLLS-th poll lists again.
    for (const { pages } of [projectPolls, userPolls]) expect(pages.slice(0, -1).flatMap((p) => p.objects)).toEqual([]);
    const changed = [projectPolls, userPolls].flatMap(({ pages }) => pages.at(-1)!.objects.map((o) => o.upstreamId));
    expect(new Set(changed)).toEqual(new Set(made.updated));
  });

  it('creates, updates and deletes issues, answering them as GET does', async () => {
    const created = await session.mutate('jira:issue', 'create', {
      upstreamId: null,
      data: { fields: { project: { id: '10000' }, summary: 'From the provider', issuetype: { name: 'Story' } } },
      idempotencyKey: null,
    });
    expect(created.deleted).toBe(false);
    expect(created.data).toEqual(emulator.objects('issue').find((i) => i.id === created.upstreamId));
    const updated = await session.mutate('jira:issue', 'update', { upstreamId: created.upstreamId, data: { fields: { summary: 'Changed' } }, idempotencyKey: null });
    expect((updated.data.fields as { summary: string }).summary).toBe('Changed');
    expect(updated.upstreamUpdatedAt!.getTime()).toBeGreaterThan(created.upstreamUpdatedAt!.getTime());
    const deleted = await session.mutate('jira:issue', 'delete', { upstreamId: created.upstreamId, data: {}, idempotencyKey: null });
    expect(deleted).toMatchObject({ deleted: true, data: updated.data });
    expect(emulator.objects('issue').some((i) => i.id === created.upstreamId)).toBe(false);
    const again = await session.mutate('jira:issue', 'delete', { upstreamId: created.upstreamId, data: {}, idempotencyKey: null });
    expect(again).toMatchObject({ deleted: true, partialTombstone: true });
  });

  it('turns Jira errors into the engine\'s', async () => {
    const refused = session.mutate('jira:issue', 'update', { upstreamId: String(emulator.objects('issue')[0]!.id), data: { fields: { status: { name: 'Done' } } }, idempotencyKey: null });
    await expect(refused).rejects.toBeInstanceOf(UpstreamRequestError);
    await expect(refused).rejects.toThrow(/status: Field 'status' cannot be set/);
    await expect(session.mutate('jira:issue', 'create', { upstreamId: null, data: { summary: 'no fields' }, idempotencyKey: null })).rejects.toThrow(/fields/);
    await expect(connect(emulator, 'wrong').listPage('jira:project', null)).rejects.toBeInstanceOf(UpstreamAuthError);
  });
});

describe('Jira provider: the zone JQL dates are read in', () => {
  for (const jqlTimeZone of ['Asia/Tokyo', 'UTC']) {
    it(`catches changes when the site reads JQL dates in ${jqlTimeZone} (account zone Asia/Tokyo)`, async () => {
      const emulator = await startJiraEmulator({ objects: 20, randomSeed: 11, timeZone: 'Asia/Tokyo', jqlTimeZone });
      try {
        const session = connect(emulator);
        const start = await session.initialChangesCursor('jira:issue');
        const made = emulator.mutateRandomly(10, ['issue']);
        const page = await session.changesSince('jira:issue', start);
        const live = new Set(emulator.objects('issue').map((i) => String(i.id)));
        const expected = [...made.created, ...made.updated].filter((id) => live.has(id));
        expect(expected.length).toBeGreaterThan(0);
        expect(new Set(page.objects.map((o) => o.upstreamId))).toEqual(new Set(expected));
      } finally {
        await emulator.close();
      }
    });
  }
});
