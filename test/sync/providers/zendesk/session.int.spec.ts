import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZendeskEmulator, type ZendeskEmulator } from '../../../../src/emulators/zendesk/index.ts';
import { UpstreamAuthError, UpstreamRequestError, type ProviderSession } from '../../../../src/sync/providers/provider.ts';
import { zendeskProvider } from '../../../../src/sync/providers/zendesk/index.ts';
import { listAll } from '../../../support/provider-session.ts';

function connect(emulator: ZendeskEmulator, apiToken = emulator.apiToken, email = emulator.email): ProviderSession {
  return zendeskProvider.connect({
    credential: { kind: 'zendesk', accessToken: apiToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: { email }, oauthApp: null },
    fetch: globalThis.fetch,
    oauth: null,
  });
}

const totals = new Map<string, number | null>();

async function backfill(session: ProviderSession, collectionId: string): Promise<string[]> {
  const { ids, total } = await listAll(session, collectionId);
  totals.set(collectionId, total);
  return ids;
}

async function drain(session: ProviderSession, collectionId: string, cursor: string) {
  const objects = [];
  let page = await session.changesSince(collectionId, cursor);
  objects.push(...page.objects);
  while (page.hasMore) {
    page = await session.changesSince(collectionId, page.cursor);
    objects.push(...page.objects);
  }
  return { objects, cursor: page.cursor };
}

describe('Zendesk provider against the emulator', () => {
  let emulator: ZendeskEmulator;
  let session: ProviderSession;

  beforeAll(async () => {
    emulator = await startZendeskEmulator({ seed: { ticket: 1200, user: 60, organization: 30 }, randomSeed: 7 });
    session = connect(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('backfills every live object through the exports from start_time=0, deleted tickets left out', async () => {
    emulator.mutateRandomly(30, ['ticket']);
    const tickets = await backfill(session, 'zendesk:ticket');
    expect(new Set(tickets)).toEqual(new Set(emulator.objects('ticket').map((t) => String(t.id))));
    expect(tickets).toHaveLength(emulator.objects('ticket').length);
    // The first page also asks tickets/count.json, for the backfill percentage.
    expect(totals.get('zendesk:ticket')).toBe(emulator.objects('ticket').length);
    const exports = emulator.requestLog.filter((e) => e.path === '/api/v2/incremental/tickets/cursor.json');
    expect(exports.map((e) => new URLSearchParams(e.query).has('cursor'))).toEqual([false, true]);
    expect(new Set(await backfill(session, 'zendesk:user'))).toEqual(new Set(emulator.objects('user').map((u) => String(u.id))));
    expect(new Set(await backfill(session, 'zendesk:organization'))).toEqual(new Set(emulator.objects('organization').map((o) => String(o.id))));
    expect(totals.get('zendesk:organization')).toBe(30);
  });

  it('follows ticket changes with after_cursor: creates and updates once, deletes as tombstones of the exported ticket', async () => {
    const start = await session.initialChangesCursor('zendesk:ticket');
    let { cursor } = await drain(session, 'zendesk:ticket', start);
    const made = emulator.mutateRandomly(60, ['ticket']);
    const changes = await drain(session, 'zendesk:ticket', cursor);
    cursor = changes.cursor;
    const live = new Map(emulator.objects('ticket').map((t) => [String(t.id), t]));
    const tombstones = changes.objects.filter((o) => o.deleted);
    expect(new Set(tombstones.map((o) => o.upstreamId))).toEqual(new Set(made.deleted));
    for (const tombstone of tombstones) expect(tombstone.data.status).toBe('deleted');
    for (const object of changes.objects.filter((o) => !o.deleted)) expect(object.data).toEqual(live.get(object.upstreamId));
    expect(new Set(changes.objects.map((o) => o.upstreamId)).size).toBe(changes.objects.length);
    expect((await session.changesSince('zendesk:ticket', cursor)).objects).toEqual([]);
  });

  it('reports deleted users (active: false) as tombstones and organization changes once despite the inclusive end_time', async () => {
    let users = (await drain(session, 'zendesk:user', await session.initialChangesCursor('zendesk:user'))).cursor;
    let orgs = (await drain(session, 'zendesk:organization', await session.initialChangesCursor('zendesk:organization'))).cursor;
    let made = emulator.mutateRandomly(40, ['user']);
    while (made.deleted.length === 0) made = emulator.mutateRandomly(10, ['user']);
    const userChanges = await drain(session, 'zendesk:user', users);
    users = userChanges.cursor;
    expect(userChanges.objects.filter((o) => o.deleted).map((o) => o.upstreamId)).toEqual(expect.arrayContaining(made.deleted));
    const orgMade = emulator.mutateRandomly(10, ['organization']);
    const orgChanges = await drain(session, 'zendesk:organization', orgs);
    orgs = orgChanges.cursor;
    expect(new Set(orgChanges.objects.map((o) => o.upstreamId))).toEqual(new Set(orgMade.updated));
    // The next export starts at end_time again and lists the same organizations: none is applied twice.
    expect((await session.changesSince('zendesk:organization', orgs)).objects).toEqual([]);
    expect((await session.changesSince('zendesk:user', users)).objects).toEqual([]);
  });

  it('creates, updates and deletes tickets through {ticket} envelopes and reads Zendesk\'s errors', async () => {
    const created = await session.mutate('zendesk:ticket', 'create', { upstreamId: null, data: { subject: 'Printer on fire', comment: { body: 'Smoke everywhere' } }, idempotencyKey: null });
    expect(created.upstreamId).toMatch(/^\d+$/);
    expect(created.data).toMatchObject({ subject: 'Printer on fire', description: 'Smoke everywhere', status: 'new' });
    const blank = session.mutate('zendesk:ticket', 'create', { upstreamId: null, data: { subject: 'Nothing to say' }, idempotencyKey: null });
    await expect(blank).rejects.toBeInstanceOf(UpstreamRequestError);
    await expect(blank).rejects.toMatchObject({ status: 422, code: 'RecordInvalid', message: 'Description: cannot be blank' });
    const updated = await session.mutate('zendesk:ticket', 'update', { upstreamId: created.upstreamId, data: { status: 'solved' }, idempotencyKey: null });
    expect(updated.data.status).toBe('solved');
    const deleted = await session.mutate('zendesk:ticket', 'delete', { upstreamId: created.upstreamId, data: {}, idempotencyKey: null });
    expect(deleted).toMatchObject({ deleted: true, upstreamId: created.upstreamId, data: updated.data });
    expect(emulator.objects('ticket').some((t) => String(t.id) === created.upstreamId)).toBe(false);
    await expect(session.mutate('zendesk:user', 'create', { upstreamId: null, data: {}, idempotencyKey: null })).rejects.toMatchObject({ code: 'mutation_not_supported' });
  });

  it('turns a refused API token into UpstreamAuthError with Zendesk\'s message', async () => {
    const refused = connect(emulator, 'wrong-token').listPage('zendesk:ticket', null);
    await expect(refused).rejects.toBeInstanceOf(UpstreamAuthError);
    await expect(refused).rejects.toMatchObject({ status: 401, message: "Couldn't authenticate you" });
  });
});

describe('Zendesk provider against realistic export rules', () => {
  it('starts its first incremental export at least a minute back, so Zendesk accepts it', async () => {
    const emulator = await startZendeskEmulator({ seed: { ticket: 3, user: 2, organization: 1 }, realisticExports: true });
    try {
      const session = connect(emulator);
      for (const collectionId of ['zendesk:ticket', 'zendesk:user', 'zendesk:organization']) {
        const page = await session.changesSince(collectionId, await session.initialChangesCursor(collectionId));
        expect(page.hasMore).toBe(false);
      }
    } finally {
      await emulator.close();
    }
  });
});
