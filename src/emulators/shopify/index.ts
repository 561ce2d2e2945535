/** The Shopify Admin REST API emulator (customers, orders, products, events), on the emulator kit. */

import type { EmulatorRateLimit } from '../kit/http-emulator.ts';
import { listenHttpEmulator, mutationControls, transportControls, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { mutateRandomly, seed } from './mutator.ts';
import { SHOPIFY_COLLECTIONS, ShopifyStore, type ShopifyCollection } from './store.ts';
import { nowSeconds } from './time.ts';
import { BUCKET_SIZE, ShopifyWireFormat } from './wire-format.ts';

export { SHOPIFY_COLLECTIONS, type ShopifyCollection } from './store.ts';

/** The standard plan's leaky bucket (40, leaking 2/s) as the kit's sliding window: 40 per 20 s. */
export const SHOPIFY_STANDARD_RATE_LIMIT: EmulatorRateLimit = { requests: BUCKET_SIZE, windowMs: 20_000 };

export interface ShopifyEmulatorOptions extends CommonEmulatorOptions {
  /** The shop's domain, for instructions (`<shop>.myshopify.com`). */
  shop?: string;
  /** Seeded objects per collection; overrides `objects`. */
  seed?: Partial<Record<ShopifyCollection, number>>;
}

export interface ShopifyEmulator extends ProviderEmulator<ShopifyCollection> {
  readonly accessToken: string;
  readonly shop: string;
  instructions(): string[];
}

export async function startShopifyEmulator(options: ShopifyEmulatorOptions = {}): Promise<ShopifyEmulator> {
  const accessToken = options.apiKey ?? 'shpat_emulator';
  const shop = options.shop ?? 'syncline-emulator.myshopify.com';
  const random = new Random(options.randomSeed ?? 42);
  const store = new ShopifyStore(random.fork());
  const objects = options.objects ?? 0;
  seed(store, random.fork(), { customer: objects, order: objects, product: objects, ...options.seed }, nowSeconds());
  // Unset: Shopify's standard bucket; null: no limit.
  const http = await listenHttpEmulator(new ShopifyWireFormat(store, accessToken), options, {
    rateLimit: options.rateLimit === undefined ? SHOPIFY_STANDARD_RATE_LIMIT : options.rateLimit,
  });
  const mutationRandom = random.fork();
  const mutate = (n: number, collections: readonly ShopifyCollection[] = SHOPIFY_COLLECTIONS) =>
    mutateRandomly(store, mutationRandom, n, collections.length > 0 ? collections : SHOPIFY_COLLECTIONS, nowSeconds());

  return {
    ...transportControls(http),
    accessToken,
    shop,
    collections: SHOPIFY_COLLECTIONS,
    objects: (collection) => (JSON.parse(JSON.stringify(store.all(collection).sort((a, b) => Number(a.id) - Number(b.id)))) as Record<string, unknown>[]),
    ...mutationControls(http, mutate),
    instructions: () => [
      `Shopify emulator listening on ${http.url} (shop ${shop}, access token ${accessToken}); Syncline credential:`,
      JSON.stringify({ kind: 'shopify', access_token: accessToken, metadata: { shop }, api_base_url: http.url }),
    ],
  };
}

export const shopifyEmulatorDescriptor: EmulatorDescriptor = {
  name: 'shopify',
  defaultPort: 12114,
  start: (options) => startShopifyEmulator(options),
};
