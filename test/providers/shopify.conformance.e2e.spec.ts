import { randomUUID } from 'node:crypto';
import { startShopifyEmulator, type ShopifyEmulator } from '../../src/emulators/shopify/index.ts';
import { shopifyWebhookHeaders } from '../../src/emulators/shopify/webhook-deliveries.ts';
import { API_VERSION } from '../../src/sync/providers/shopify/client.ts';
import { nodeQuery, QUERIES } from '../../src/sync/providers/shopify/queries.ts';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import { describeConformance } from './conformance/conformance.ts';
import { shopifyGraphqlDescription } from './api-descriptions/shopify.ts';

const SHOP = 'syncline-test.myshopify.com';

let picked = 0;
let started: ShopifyEmulator | undefined;

/**
 * A record's data is the object as the provider's own selection reads it through the GraphQL
 * Admin API, nested lists as `{nodes}`: the emulator's object is read with that same query.
 */
function graphqlShape(collectionId: string, upstream: Record<string, unknown>): unknown {
  const queries = QUERIES[collectionId as keyof typeof QUERIES];
  const { node } = started!.graphql(nodeQuery(queries), { id: `gid://shopify/${queries.type}/${String(upstream.id)}` }) as { node: Record<string, unknown> & { __typename?: string } };
  const { __typename: _typename, ...object } = node;
  for (const nested of queries.nested) {
    const list = object[nested.field] as { nodes: unknown[]; pageInfo: { hasNextPage: boolean } };
    if (list.pageInfo.hasNextPage) throw new Error(`${collectionId} ${String(upstream.id)} has more ${nested.field} than one page: compare with the provider's follow-up reads`);
    object[nested.field] = { nodes: list.nodes };
  }
  return object;
}

/** A customer the emulator still has (the suite's other steps delete some), another one each time. */
function someCustomerId(emulator: ShopifyEmulator): string {
  const customers = emulator.objects('customer');
  if (customers.length === 0) throw new Error('the Shopify emulator has no customer left');
  return String(customers[picked++ % customers.length]!.id);
}

describeConformance<ShopifyEmulator>({
  provider: 'shopify',
  collections: ['shopify:customer', 'shopify:order', 'shopify:product'],
  startEmulator: async ({ objects, randomSeed, rateLimit }) =>
    (started = await startShopifyEmulator({
      seed: { customer: objects, order: objects, product: Math.ceil(objects / 3) },
      randomSeed,
      apiKey: 'shpat_conformance',
      shop: SHOP,
      // The suite's sync runs faster than a standard shop allows; it sets the limit it checks.
      rateLimit: rateLimit ?? null,
    })),
  // Shopify signs webhooks with the app's client secret: the credential carries the app as its OAuth app.
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'shopify', client_id: 'syncline-conformance-app', client_secret: emulator.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'shopify', access_token: emulator.accessToken, oauth_app_id: app.body.id, metadata: { shop: SHOP }, api_base_url: emulator.url };
  },
  upstreamId: (_collectionId, object) => String(object.id),
  graphqlDescription: shopifyGraphqlDescription,
  sameObject: (collectionId, data, upstream) => canonicalJson(data) === canonicalJson(graphqlShape(collectionId, upstream)),
  mutation: {
    collectionId: 'shopify:customer',
    // The mutation's own input (CustomerInput).
    create: { firstName: 'Conformance', lastName: 'Created', email: 'conformance@example.com' },
    update: { note: 'Conformance Updated' },
    showsUpdate: (object) => object.note === 'Conformance Updated',
  },
  webhooks: {
    collectionId: 'shopify:customer',
    change: (emulator) => {
      const id = someCustomerId(emulator);
      emulator.updateObject('customer', id, { note: `Changed ${randomUUID()}` });
      return id;
    },
    remove: (emulator) => {
      const id = someCustomerId(emulator);
      emulator.removeObject('customer', id);
      return id;
    },
    secret: (emulator) => emulator.clientSecret,
    request: (emulator, upstreamId, secret) => {
      const current = emulator.objects('customer').find((c) => String(c.id) === upstreamId) ?? { id: Number(upstreamId) };
      const body = JSON.stringify(current);
      const headers = shopifyWebhookHeaders({
        topic: 'customers/update',
        body,
        secret,
        shop: SHOP,
        apiVersion: API_VERSION,
        webhookId: randomUUID(),
        eventId: randomUUID(),
        triggeredAt: new Date().toISOString(),
      });
      return { headers: { 'Content-Type': 'application/json', ...headers }, body };
    },
  },
});
