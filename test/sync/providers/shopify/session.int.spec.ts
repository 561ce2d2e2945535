import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopifyEmulator, type ShopifyEmulator } from '../../../../src/emulators/shopify/index.ts';
import { UpstreamAuthError, UpstreamRequestError, type ProviderSession } from '../../../../src/sync/providers/provider.ts';
import { shopifyProvider } from '../../../../src/sync/providers/shopify/index.ts';
import { listAll } from '../../../support/provider-session.ts';

function connect(emulator: ShopifyEmulator, accessToken = emulator.accessToken): ProviderSession {
  return shopifyProvider.connect({
    credential: { kind: 'shopify', accessToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: { shop: emulator.shop }, oauthApp: null },
    fetch: globalThis.fetch,
    oauth: null,
  } as Parameters<typeof shopifyProvider.connect>[0]);
}


describe('Shopify provider against the emulator', () => {
  let emulator: ShopifyEmulator;
  let session: ProviderSession;

  beforeAll(async () => {
    emulator = await startShopifyEmulator({ seed: { customer: 600, order: 300, product: 40 }, randomSeed: 3, rateLimit: null });
    session = connect(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('backfills every customer and every order (closed and cancelled too) with their totals', async () => {
    const customers = await listAll(session, 'shopify:customer');
    expect(customers.total).toBe(600);
    expect(customers.ids).toEqual(emulator.objects('customer').map((c) => String(c.id)));
    const orders = await listAll(session, 'shopify:order');
    expect(orders.total).toBe(300);
    expect(new Set(orders.ids)).toEqual(new Set(emulator.objects('order').map((o) => String(o.id))));
    const lists = emulator.requestLog.filter((e) => e.path === '/admin/api/2024-10/customers.json');
    expect(lists).toHaveLength(3);
    expect(lists.slice(1).every((e) => /^limit=250&page_info=[\w-]+$/.test(e.query))).toBe(true);
  });

  it('polls creates, updates and deletes once each, deletes as tombstones that only name the object (the stream keeps its last data)', async () => {
    const collectionId = 'shopify:customer';
    let cursor = await session.initialChangesCursor(collectionId);
    expect((await session.changesSince(collectionId, cursor)).objects).toEqual([]);
    await listAll(session, collectionId);
    const before = new Map(emulator.objects('customer').map((c) => [String(c.id), c]));
    // Many changes within one or two seconds: ties on updated_at.
    const made = emulator.mutateRandomly(80, ['customer']);
    const changes = await session.changesSince(collectionId, cursor);
    cursor = changes.cursor;
    const live = new Map(emulator.objects('customer').map((c) => [String(c.id), c]));
    const tombstones = changes.objects.filter((o) => o.deleted);
    // Every destroy event is a tombstone; Shopify tells only the id, so the engine fills in the stored data (partialTombstone).
    expect(new Set(tombstones.map((o) => o.upstreamId))).toEqual(new Set(made.deleted));
    for (const tombstone of tombstones) expect(tombstone).toMatchObject({ data: { id: Number(tombstone.upstreamId) }, partialTombstone: true });
    expect(made.deleted.some((id) => before.has(id))).toBe(true);
    for (const object of changes.objects.filter((o) => !o.deleted)) expect(object.data).toEqual(live.get(object.upstreamId));
    const changedLive = new Set([...made.created, ...made.updated].filter((id) => live.has(id)));
    expect(new Set(changes.objects.filter((o) => !o.deleted).map((o) => o.upstreamId))).toEqual(changedLive);

    const again = await session.changesSince(collectionId, cursor);
    expect(again.objects).toEqual([]);
    // A further edit within the cursor's second still shows.
    const [someone] = emulator.objects('customer');
    const answer = await session.mutate(collectionId, 'update', { upstreamId: String(someone!.id), data: { note: 'same second' }, idempotencyKey: null });
    const edited = await session.changesSince(collectionId, again.cursor);
    expect(edited.objects.map((o) => o.data)).toEqual([answer.data]);
  });

  it('creates, updates and deletes through {customer} envelopes, and reads Shopify\'s errors', async () => {
    const created = await session.mutate('shopify:customer', 'create', { upstreamId: null, data: { first_name: 'Radia', email: 'radia@example.com' }, idempotencyKey: null });
    expect(created.upstreamId).toMatch(/^\d+$/);
    expect(created.data).toMatchObject({ first_name: 'Radia', email: 'radia@example.com' });
    const taken = session.mutate('shopify:customer', 'create', { upstreamId: null, data: { email: 'radia@example.com' }, idempotencyKey: null });
    await expect(taken).rejects.toBeInstanceOf(UpstreamRequestError);
    await expect(taken).rejects.toMatchObject({ status: 422, code: 'unprocessable_entity', message: 'email has already been taken' });
    const updated = await session.mutate('shopify:customer', 'update', { upstreamId: created.upstreamId, data: { last_name: 'Perlman' }, idempotencyKey: null });
    expect(updated.data.last_name).toBe('Perlman');
    const deleted = await session.mutate('shopify:customer', 'delete', { upstreamId: created.upstreamId, data: {}, idempotencyKey: null });
    expect(deleted).toMatchObject({ deleted: true, upstreamId: created.upstreamId, data: updated.data });
    expect(emulator.objects('customer').some((c) => String(c.id) === created.upstreamId)).toBe(false);
  });

  it('turns a refused access token into UpstreamAuthError with Shopify\'s message', async () => {
    const refused = connect(emulator, 'shpat_wrong').listPage('shopify:product', null);
    await expect(refused).rejects.toBeInstanceOf(UpstreamAuthError);
    await expect(refused).rejects.toMatchObject({ status: 401, message: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
  });
});
