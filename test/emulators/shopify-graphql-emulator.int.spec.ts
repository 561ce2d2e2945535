import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopifyEmulator, type ShopifyEmulator } from '../../src/emulators/shopify/index.ts';


describe("Shopify emulator's GraphQL Admin API", () => {
  let emulator: ShopifyEmulator;
  const post = async (query: string, variables: Record<string, unknown> = {}, token = emulator.accessToken) => {
    const response = await fetch(`${emulator.url}/admin/api/2026-10/graphql.json`, {
      method: 'POST',
      headers: { 'X-Shopify-Access-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as any, headers: response.headers };
  };

  beforeAll(async () => {
    emulator = await startShopifyEmulator({ seed: { customer: 60, order: 20, product: 10 }, randomSeed: 11, rateLimit: null });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('refuses a wrong access token with 401 and a query the schema does not have with its validation errors', async () => {
    expect((await post('{ shop { name } }', {}, 'shpat_wrong')).status).toBe(401);
    const invalid = await post('{ customers(first: 1) { nodes { first_name } } }');
    expect(invalid.status).toBe(200);
    expect(invalid.body.errors[0].message).toContain('Cannot query field "first_name" on type "Customer"');
  });

  it('pages a list by cursors in sort order, filtered by the search syntax, each object once', async () => {
    const query = `query($after: String) { customers(first: 7, after: $after, sortKey: UPDATED_AT, query: "updated_at:>='2000-01-01T00:00:00Z'") { nodes { legacyResourceId updatedAt } pageInfo { hasNextPage endCursor } } }`;
    const seen: Array<{ legacyResourceId: string; updatedAt: string }> = [];
    let after: string | null = null;
    for (;;) {
      const page: { nodes: Array<{ legacyResourceId: string; updatedAt: string }>; pageInfo: { hasNextPage: boolean; endCursor: string } } = (await post(query, { after })).body.data.customers;
      seen.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.map((c) => c.legacyResourceId).sort()).toEqual(emulator.objects('customer').map((c) => String(c.id)).sort());
    expect(seen.map((c) => c.updatedAt)).toEqual([...seen.map((c) => c.updatedAt)].sort());
    const latest = seen.at(-1)!.updatedAt;
    const newer = await post(`{ customers(first: 250, query: "updated_at:>='${latest}'") { nodes { legacyResourceId } } }`);
    expect(newer.body.data.customers.nodes.map((c: any) => c.legacyResourceId)).toContain(seen.at(-1)!.legacyResourceId);
  });

  it('costs queries as Shopify does, refuses one over 1,000 points, and answers THROTTLED when the bucket is short', async () => {
    // A shop of its own: a full bucket of 1,000 points restoring 50 a second.
    const shop = await startShopifyEmulator({ seed: { customer: 60, order: 5, product: 0 }, randomSeed: 12, rateLimit: null, costLimit: { maximumAvailable: 1_000, restoreRate: 50 } });
    const ask = async (query: string) =>
      (await (await fetch(`${shop.url}/admin/api/2026-10/graphql.json`, { method: 'POST', headers: { 'X-Shopify-Access-Token': shop.accessToken, 'Content-Type': 'application/json' }, body: JSON.stringify({ query }) })).json()) as any;
    try {
      const tooBig = await ask('{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }');
      expect(tooBig.errors[0].extensions).toMatchObject({ code: 'MAX_COST_EXCEEDED', cost: 2 + 250 * (1 + 2 + 250), maxCost: 1000 });
      // Customers with 4 objects each: 2 + 199 × 5 = 997 requested; 60 customers returned: 2 + 60 × 5 = 302 actually spent.
      const drain = '{ customers(first: 199) { nodes { id defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } amountSpent { amount } defaultAddress { id } } } }';
      const first = await ask(drain);
      expect(first.extensions.cost.requestedQueryCost).toBe(997);
      const actual = first.extensions.cost.actualQueryCost as number;
      expect(actual).toBeLessThan(997);
      expect(first.extensions.cost.throttleStatus).toMatchObject({ maximumAvailable: 1000, restoreRate: 50 });
      expect(first.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(1000 - actual + 5);
      // At once again: the bucket holds about 1,000 − actual, less than the 997 asked for.
      const second = await ask(drain);
      expect(second.errors[0]).toMatchObject({ message: 'Throttled', extensions: { code: 'THROTTLED' } });
      expect(second.data).toBeUndefined();
      expect(second.extensions.cost).toMatchObject({ requestedQueryCost: 997, actualQueryCost: null });
    } finally {
      await shop.close();
    }
  });

  it('runs a bulk operation: RUNNING, then COMPLETED with a signed URL to JSONL whose nested items name their parent', async () => {
    const run = await post(`mutation { bulkOperationRunQuery(groupObjects: false, query: "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }") { bulkOperation { id status } userErrors { code message } } }`);
    const { id, status } = run.body.data.bulkOperationRunQuery.bulkOperation;
    expect(status).toBe('RUNNING');
    const busy = await post(`mutation { bulkOperationRunQuery(groupObjects: false, query: "{ customers { edges { node { id } } } }") { bulkOperation { id } userErrors { code } } }`);
    expect(busy.body.data.bulkOperationRunQuery.userErrors).toEqual([{ code: 'OPERATION_IN_PROGRESS' }]);
    let operation: any;
    for (let i = 0; i < 50; i++) {
      operation = (await post('query($id: ID!) { bulkOperation(id: $id) { status url objectCount rootObjectCount } }', { id })).body.data.bulkOperation;
      if (operation.status === 'COMPLETED') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(operation.status).toBe('COMPLETED');
    expect(operation.rootObjectCount).toBe('10');
    const lines = (await (await fetch(operation.url)).text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(String(lines.length)).toBe(operation.objectCount);
    const products = lines.filter((l) => !('__parentId' in l));
    const variants = lines.filter((l) => '__parentId' in l);
    expect(products.map((p) => p.id.split('/').pop()).sort()).toEqual(emulator.objects('product').map((p) => String(p.id)).sort());
    expect(variants.every((v) => products.some((p) => p.id === v.__parentId))).toBe(true);
    expect((await fetch(operation.url.replace(/signature=[^&]+/, 'signature=forged'))).status).toBe(403);
  });

  it('writes through the mutations, answering what it refuses as userErrors', async () => {
    const created = await post('mutation($input: CustomerInput!) { customerCreate(input: $input) { customer { id firstName } userErrors { field message } } }', { input: { firstName: 'Grace', email: 'grace@example.com' } });
    expect(created.body.data.customerCreate).toMatchObject({ customer: { firstName: 'Grace' }, userErrors: [] });
    const taken = await post('mutation($input: CustomerInput!) { customerCreate(input: $input) { customer { id } userErrors { field message } } }', { input: { email: 'grace@example.com' } });
    expect(taken.body.data.customerCreate).toEqual({ customer: null, userErrors: [{ field: ['input', 'email'], message: 'Email has already been taken' }] });
    const id = created.body.data.customerCreate.customer.id;
    const deleted = await post('mutation($id: ID!) { customerDelete(input: { id: $id }) { deletedCustomerId userErrors { message } } }', { id });
    expect(deleted.body.data.customerDelete).toEqual({ deletedCustomerId: id, userErrors: [] });
    const destroyed = await post(`{ events(first: 5, query: "subject_type:CUSTOMER AND action:destroy", sortKey: CREATED_AT) { nodes { action ... on BasicEvent { subjectId subjectType } } } }`);
    expect(destroyed.body.data.events.nodes).toEqual([{ action: 'destroy', subjectId: id, subjectType: 'CUSTOMER' }]);
  });
});
