import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopifyEmulator, type ShopifyEmulator } from '../../../../src/emulators/shopify/index.ts';
import { UpstreamAuthError, UpstreamRequestError, type ProviderSession } from '../../../../src/sync/providers/provider.ts';
import { API_VERSION } from '../../../../src/sync/providers/shopify/client.ts';
import { shopifyProvider } from '../../../../src/sync/providers/shopify/index.ts';
import { listAll } from '../../../support/provider-session.ts';

function connect(emulator: ShopifyEmulator, accessToken = emulator.accessToken): ProviderSession {
  return shopifyProvider.connect({
    credential: { kind: 'shopify', accessToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: { shop: emulator.shop }, oauthApp: null },
    fetch: globalThis.fetch,
    oauth: null,
  } as Parameters<typeof shopifyProvider.connect>[0]);
}

const GRAPHQL = `/admin/api/${API_VERSION}/graphql.json`;

describe('Shopify provider (GraphQL Admin API) against the emulator', () => {
  let emulator: ShopifyEmulator;
  let session: ProviderSession;

  beforeAll(async () => {
    emulator = await startShopifyEmulator({ seed: { customer: 600, order: 300, product: 40 }, randomSeed: 3, rateLimit: null });
    session = connect(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('backfills every customer, order (closed and cancelled too) and product through bulk operations and their JSONL, nested lists whole', async () => {
    const customers = await listAll(session, 'shopify:customer');
    expect(customers.total).toBe(600);
    expect(customers.ids).toEqual(emulator.objects('customer').map((c) => String(c.id)));
    const orders = await listAll(session, 'shopify:order');
    expect(orders.total).toBe(300);
    expect(new Set(orders.ids)).toEqual(new Set(emulator.objects('order').map((o) => String(o.id))));
    const products = await listAll(session, 'shopify:product');
    expect(new Set(products.ids)).toEqual(new Set(emulator.objects('product').map((o) => String(o.id))));
    // Everything went through the GraphQL endpoint and the bulk results' URLs.
    expect(emulator.requestLog.every((e) => e.path === GRAPHQL || e.path.startsWith('/bulk-operation-results/'))).toBe(true);
    expect(emulator.requestLog.filter((e) => e.path.startsWith('/bulk-operation-results/'))).toHaveLength(3);
  });

  it('a product read by the backfill equals the same product read by id (variants put back under it)', async () => {
    const page = await session.listPage('shopify:product', null);
    let cursor = page.nextCursor;
    const objects = [...page.objects];
    while (cursor !== null) {
      const next = await session.listPage('shopify:product', cursor);
      objects.push(...next.objects);
      cursor = next.nextCursor;
    }
    const [first] = objects;
    const byId = await session.fetchObject!('shopify:product', first!.upstreamId);
    expect(byId!.data).toEqual(first!.data);
    expect((first!.data.variants as { nodes: unknown[] }).nodes.length).toBeGreaterThan(0);
  });

  it('polls creates, updates and deletes once each, deletes (from destroy events) as tombstones that only name the object', async () => {
    const collectionId = 'shopify:customer';
    let cursor = await session.initialChangesCursor(collectionId);
    expect((await session.changesSince(collectionId, cursor)).objects).toEqual([]);
    const before = new Set(emulator.objects('customer').map((c) => String(c.id)));
    // Many changes within one or two seconds: ties on updatedAt.
    const made = emulator.mutateRandomly(80, ['customer']);
    const changes = await session.changesSince(collectionId, cursor);
    cursor = changes.cursor;
    const live = new Set(emulator.objects('customer').map((c) => String(c.id)));
    const tombstones = changes.objects.filter((o) => o.deleted);
    expect(new Set(tombstones.map((o) => o.upstreamId))).toEqual(new Set(made.deleted));
    for (const tombstone of tombstones) expect(tombstone).toMatchObject({ data: { id: `gid://shopify/Customer/${tombstone.upstreamId}` }, partialTombstone: true });
    expect(made.deleted.some((id) => before.has(id))).toBe(true);
    const changedLive = new Set([...made.created, ...made.updated].filter((id) => live.has(id)));
    expect(new Set(changes.objects.filter((o) => !o.deleted).map((o) => o.upstreamId))).toEqual(changedLive);
    for (const object of changes.objects.filter((o) => !o.deleted)) expect((await session.fetchObject!(collectionId, object.upstreamId))!.data).toEqual(object.data);

    const again = await session.changesSince(collectionId, cursor);
    expect(again.objects).toEqual([]);
    // A further edit within the cursor's second still shows.
    const [someone] = emulator.objects('customer');
    const answer = await session.mutate(collectionId, 'update', { upstreamId: String(someone!.id), data: { note: 'same second' }, idempotencyKey: null });
    const edited = await session.changesSince(collectionId, again.cursor);
    expect(edited.objects.map((o) => o.data)).toEqual([answer.data]);
  });

  it("creates, updates and deletes through customerCreate / customerUpdate / customerDelete, and reads Shopify's userErrors", async () => {
    const created = await session.mutate('shopify:customer', 'create', { upstreamId: null, data: { firstName: 'Radia', email: 'radia@example.com' }, idempotencyKey: null });
    expect(created.upstreamId).toMatch(/^\d+$/);
    expect(created.data).toMatchObject({ firstName: 'Radia', defaultEmailAddress: { emailAddress: 'radia@example.com' } });
    const taken = session.mutate('shopify:customer', 'create', { upstreamId: null, data: { email: 'radia@example.com' }, idempotencyKey: null });
    await expect(taken).rejects.toBeInstanceOf(UpstreamRequestError);
    await expect(taken).rejects.toMatchObject({ status: 422, message: 'input.email: Email has already been taken' });
    // Input Shopify's schema refuses (a REST field name) never reaches the store.
    await expect(session.mutate('shopify:customer', 'create', { upstreamId: null, data: { first_name: 'Radia' }, idempotencyKey: null })).rejects.toMatchObject({ status: 400 });
    const updated = await session.mutate('shopify:customer', 'update', { upstreamId: created.upstreamId, data: { lastName: 'Perlman' }, idempotencyKey: null });
    expect(updated.data.lastName).toBe('Perlman');
    const deleted = await session.mutate('shopify:customer', 'delete', { upstreamId: created.upstreamId, data: {}, idempotencyKey: null });
    expect(deleted).toMatchObject({ deleted: true, upstreamId: created.upstreamId, data: updated.data });
    expect(emulator.objects('customer').some((c) => String(c.id) === created.upstreamId)).toBe(false);
  });

  it('writes products and orders through their GraphQL mutations', async () => {
    const product = await session.mutate('shopify:product', 'create', { upstreamId: null, data: { title: 'Syncline Mug', status: 'DRAFT' }, idempotencyKey: null });
    expect(product.data).toMatchObject({ title: 'Syncline Mug', status: 'DRAFT' });
    const retitled = await session.mutate('shopify:product', 'update', { upstreamId: product.upstreamId, data: { title: 'Syncline Mug II' }, idempotencyKey: null });
    expect(retitled.data.title).toBe('Syncline Mug II');
    await session.mutate('shopify:product', 'delete', { upstreamId: product.upstreamId, data: {}, idempotencyKey: null });
    expect(emulator.objects('product').some((p) => String(p.id) === product.upstreamId)).toBe(false);

    const order = await session.mutate('shopify:order', 'create', {
      upstreamId: null,
      data: { email: 'buyer@example.com', lineItems: [{ title: 'Poster', quantity: 2, priceSet: { shopMoney: { amount: '12.00', currencyCode: 'USD' } } }] },
      idempotencyKey: null,
    });
    expect((order.data.lineItems as { nodes: Array<{ title: string; quantity: number }> }).nodes).toMatchObject([{ title: 'Poster', quantity: 2 }]);
    const noted = await session.mutate('shopify:order', 'update', { upstreamId: order.upstreamId, data: { note: 'gift' }, idempotencyKey: null });
    expect(noted.data.note).toBe('gift');
    await session.mutate('shopify:order', 'delete', { upstreamId: order.upstreamId, data: {}, idempotencyKey: null });
    expect(emulator.objects('order').some((o) => String(o.id) === order.upstreamId)).toBe(false);
  });

  it("turns a refused access token into UpstreamAuthError with Shopify's message", async () => {
    const refused = connect(emulator, 'shpat_wrong').listPage('shopify:product', null);
    await expect(refused).rejects.toBeInstanceOf(UpstreamAuthError);
    await expect(refused).rejects.toMatchObject({ status: 401, message: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
  });
});

describe("Shopify provider under the shop's cost limit", () => {
  it('paces its pages by throttleStatus, and waits out a THROTTLED answer and sends the query again', async () => {
    // A bucket one page of 199 customers empties (its actual cost is 997), restoring 1,000 a second.
    const emulator = await startShopifyEmulator({ seed: { customer: 450, order: 0, product: 0 }, randomSeed: 5, rateLimit: null, costLimit: { maximumAvailable: 1_000, restoreRate: 1_000 } });
    try {
      const everything = JSON.stringify({ v: 1, u: 0, seen: {}, e: Math.floor(Date.now() / 1000), ev: [] });
      const paced = emulator.recordExchanges();
      const first = await connect(emulator).changesSince('shopify:customer', everything);
      expect(first.objects).toHaveLength(450);
      // Three pages, each sent once the bucket held what it asks for: no THROTTLED answer.
      expect(paced.exchanges.filter((e) => e.answerBody.includes('"THROTTLED"'))).toEqual([]);
      emulator.stopRecordingExchanges();

      // A session that knows nothing of the bucket yet runs into it, waits, and goes on.
      const blind = emulator.recordExchanges();
      const second = await connect(emulator).changesSince('shopify:customer', everything);
      expect(second.objects.map((o) => o.upstreamId)).toEqual(first.objects.map((o) => o.upstreamId));
      expect(blind.exchanges.some((e) => e.answerBody.includes('"THROTTLED"'))).toBe(true);
    } finally {
      await emulator.close();
    }
  });
});
