/**
 * The Shopify Admin API emulator, on the emulator kit: the GraphQL Admin API (customers, orders,
 * products, events, webhook subscriptions, bulk operations; the calculated query cost) and, for
 * the emulator's REST users, the legacy REST Admin API over the same store.
 */

import type { EmulatorRateLimit } from '../kit/http-emulator.ts';
import { listenHttpEmulator, mutationControls, transportControls, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { mutateRandomly, seed } from './mutator.ts';
import { SHOPIFY_COLLECTIONS, ShopifyStore, type ShopifyCollection } from './store.ts';
import { nowSeconds } from './time.ts';
import { WebhookSender } from '../kit/webhook-sender.ts';
import { BUCKET_SIZE, ShopifyWireFormat } from './wire-format.ts';
import { ShopifyWebhookDeliveries, SHOPIFY_WEBHOOK_RETRY_DELAYS_MS, SHOPIFY_WEBHOOK_TIMEOUT_MS } from './webhook-deliveries.ts';
import { WebhookSubscriptions, type Subscription } from './webhook-subscriptions.ts';
import { AdminGraphql } from './graphql/admin-graphql.ts';
import { STANDARD_COST_LIMIT, type CostLimit } from './graphql/cost.ts';

export { SHOPIFY_COLLECTIONS, type ShopifyCollection } from './store.ts';

/** The standard plan's leaky bucket (40, leaking 2/s) as the kit's sliding window: 40 per 20 s. */
export const SHOPIFY_STANDARD_RATE_LIMIT: EmulatorRateLimit = { requests: BUCKET_SIZE, windowMs: 20_000 };

export interface ShopifyEmulatorOptions extends CommonEmulatorOptions {
  /** The shop's domain, for instructions (`<shop>.myshopify.com`). */
  shop?: string;
  /** Seeded objects per collection; overrides `objects`. */
  seed?: Partial<Record<ShopifyCollection, number>>;
  /** The GraphQL cost bucket: unset, the standard plan's (2,000 points restoring 100/s); null: no cost limit. */
  costLimit?: CostLimit | null;
}

/** The app's client secret the emulator signs webhooks with unless `webhookSecret` says otherwise. */
export const SHOPIFY_EMULATOR_CLIENT_SECRET = 'shpss_emulator_client_secret';

export interface ShopifyEmulator extends ProviderEmulator<ShopifyCollection> {
  readonly accessToken: string;
  readonly shop: string;
  /** The app's client secret, which signs every webhook (`webhookSecret`, or the default). */
  readonly clientSecret: string;
  readonly webhooks: WebhookSender;
  /** The webhook subscriptions made through `webhookSubscriptionCreate` (or `webhooks.json`). */
  webhookSubscriptions(): Subscription[];
  /** Changes one object as the shop's admin would (its webhooks go out); answers it as the API does. */
  updateObject(collection: ShopifyCollection, id: string, patch: Record<string, unknown>): Record<string, unknown>;
  /** Deletes one object as the shop's admin would (its webhooks go out). */
  removeObject(collection: ShopifyCollection, id: string): void;
  /** Runs an Admin GraphQL query directly (no HTTP, no cost): its `data`, or throws its errors. */
  graphql(query: string, variables?: Record<string, unknown>): Record<string, unknown>;
  instructions(): string[];
}

export async function startShopifyEmulator(options: ShopifyEmulatorOptions = {}): Promise<ShopifyEmulator> {
  const accessToken = options.apiKey ?? 'shpat_emulator';
  const shop = options.shop ?? 'syncline-emulator.myshopify.com';
  const random = new Random(options.randomSeed ?? 42);
  const store = new ShopifyStore(random.fork());
  const objects = options.objects ?? 0;
  seed(store, random.fork(), { customer: objects, order: objects, product: objects, ...options.seed }, nowSeconds());
  const clientSecret = options.webhookSecret ?? SHOPIFY_EMULATOR_CLIENT_SECRET;
  const subscriptions = new WebhookSubscriptions();
  const webhooks = new WebhookSender({
    retryDelaysMs: options.webhookRetryDelaysMs ?? SHOPIFY_WEBHOOK_RETRY_DELAYS_MS,
    timeoutMs: SHOPIFY_WEBHOOK_TIMEOUT_MS,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const deliveries = new ShopifyWebhookDeliveries(webhooks, subscriptions, { shop, clientSecret, extraUrl: options.webhookUrl ?? null });
  // After seeding: the seed is the shop's past, not changes to announce.
  store.onChange((change) => deliveries.send(change));
  // Unset: Shopify's standard bucket; null: no limit.
  const graphql = new AdminGraphql({ store, subscriptions, costLimit: options.costLimit === undefined ? STANDARD_COST_LIMIT : options.costLimit });
  const http = await listenHttpEmulator(new ShopifyWireFormat(store, accessToken, subscriptions, graphql), options, {
    rateLimit: options.rateLimit === undefined ? SHOPIFY_STANDARD_RATE_LIMIT : options.rateLimit,
  });
  const mutationRandom = random.fork();
  const mutate = (n: number, collections: readonly ShopifyCollection[] = SHOPIFY_COLLECTIONS) =>
    mutateRandomly(store, mutationRandom, n, collections.length > 0 ? collections : SHOPIFY_COLLECTIONS, nowSeconds());

  const mutations = mutationControls(http, mutate);

  return {
    ...transportControls(http),
    accessToken,
    shop,
    clientSecret,
    webhooks,
    webhookSubscriptions: () => subscriptions.all(),
    updateObject: (collection, id, patch) => structuredClone(store.update(collection, Number(id), patch)),
    removeObject: (collection, id) => store.remove(collection, Number(id)),
    graphql: (query, variables) => {
      const result = graphql.run(query, variables);
      if (result.errors?.length || !result.data) throw new Error(`the emulator refused the query: ${result.errors?.map((e) => e.message).join('; ')}`);
      return JSON.parse(JSON.stringify(result.data)) as Record<string, unknown>;
    },
    collections: SHOPIFY_COLLECTIONS,
    objects: (collection) => (JSON.parse(JSON.stringify(store.all(collection).sort((a, b) => Number(a.id) - Number(b.id)))) as Record<string, unknown>[]),
    ...mutations,
    close: async () => {
      await mutations.close();
      await webhooks.close();
    },
    instructions: () => [
      `Shopify emulator listening on ${http.url} (shop ${shop}, access token ${accessToken}); Syncline credential:`,
      JSON.stringify({ kind: 'shopify', access_token: accessToken, metadata: { shop }, api_base_url: http.url }),
      `Webhooks are signed with the app's client secret ${clientSecret}: create an OAuth app with it (POST /v1/oauth-apps {"provider":"shopify","client_id":"emulator","client_secret":"${clientSecret}"}) and give its id as the credential's oauth_app_id,`,
      'then enable webhooks on the sync ({"webhooks":{"enabled":true}}): with SYNCLINE_PUBLIC_URL set Syncline subscribes through webhookSubscriptionCreate itself;',
      `without it, run the emulator with --webhook-url <the sync's webhooks.url> (and --webhook-secret, else ${clientSecret}).`,
    ],
  };
}

export const shopifyEmulatorDescriptor: EmulatorDescriptor = {
  name: 'shopify',
  defaultPort: 12114,
  start: (options) => startShopifyEmulator(options),
};
