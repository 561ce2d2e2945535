/**
 * Stripe API emulator: a real HTTP server speaking Stripe's v1 wire format (form-encoded writes,
 * cursor pagination, events, idempotency keys, Stripe's errors) for the official `stripe` SDK.
 */

import type { Logger } from 'pino';
import { StripeApi } from './api.ts';
import type { JsonObject } from './json.ts';
import { Mutator } from './mutator.ts';
import { COLLECTIONS, type StripeCollection } from './objects.ts';
import { HttpEmulator, type EmulatorRateLimit, type Faults } from '../kit/http-emulator.ts';
import { mutationControls, transportControls, validateFaults, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from './random.ts';
import { seedStore } from './seed.ts';
import { NO_REQUEST, Store } from './store.ts';
import { decodeForm } from './form.ts';
import { StripeWireFormat } from './wire-format.ts';
import { StripeWebhookDelivery } from './webhook-delivery.ts';
import type { WebhookEndpoint, WebhookSender } from '../kit/webhook-sender.ts';

export type { StripeCollection } from './objects.ts';
export type { FaultKind, Faults, RequestLogEntry } from '../kit/http-emulator.ts';

export interface StripeEmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a random free port). */
  port?: number;
  /** Default 'sk_test_emulator'. Requests must send `Authorization: Bearer <apiKey>` (or HTTP Basic with the key as user name). */
  apiKey?: string;
  /** Objects created at start (prices reference seeded products; subscriptions, invoices, charges reference seeded customers). */
  seed?: Partial<Record<StripeCollection, number>>;
  /** Sliding window; over it → 429 in Stripe's shape. */
  rateLimit?: EmulatorRateLimit | null;
  /**
   * Injected faults: probabilities 0..1 per request of a random 429 / 500 (`rate429`, `rate500`),
   * of no answer (`timeoutRate`, held `timeoutMs` or until the client gives up, then cut; at most
   * `maxTimeouts` of them), of a
   * reset connection (`resetRate`), of a 200 with a cut JSON body (`truncatedRate`); `slowMs`
   * delays every answer by a random 0..slowMs ms.
   */
  faults?: Faults;
  /** Deterministic PRNG for seeding and mutations. */
  randomSeed?: number;
  logger?: Logger;
  /** Also send every event to this URL (`--webhook-url`), besides the endpoints registered through `/v1/webhook_endpoints`. */
  webhookUrl?: string;
  /** The secret `webhookUrl` deliveries are signed with (default DEFAULT_WEBHOOK_SECRET). */
  webhookSecret?: string;
  /** Delays of the delivery retries (default STRIPE_WEBHOOK_RETRY_DELAYS_MS, Stripe's backoff scaled down). */
  webhookRetryDelaysMs?: number[];
}

export interface StripeEmulator extends ProviderEmulator<StripeCollection> {
  apiKey: string;
  /** Rotate the key (the old key then gets 401). */
  setApiKey(apiKey: string): void;
  /** Current live (non-deleted) objects of a collection, exactly as GET would return them (JSON-cloned). For 'subscription' include canceled ones. */
  objects(collection: StripeCollection): Record<string, unknown>[];
  /**
   * A write made upstream as Stripe's own systems (or the dashboard) make one: no auth, not in the
   * request log, `request.id` null in its events; answers what the API would, and sends the
   * webhooks its events cause. `form` is form-encoded (`name=Ada&metadata[k]=v`).
   */
  change(method: 'POST' | 'DELETE', path: string, form?: string): Record<string, unknown>;
  readonly webhooks: WebhookSender;
  /** The endpoints registered through `/v1/webhook_endpoints` (not deleted), with their signing secrets. */
  webhookEndpoints(): Array<WebhookEndpoint & { status: string }>;
}

function validateRateLimit(rateLimit: EmulatorRateLimit | null | undefined): EmulatorRateLimit | null {
  if (!rateLimit) return null;
  if (!Number.isFinite(rateLimit.requests) || rateLimit.requests < 0 || !(rateLimit.windowMs > 0)) {
    throw new RangeError(`rateLimit needs requests ≥ 0 and windowMs > 0, got ${JSON.stringify(rateLimit)}`);
  }
  return { requests: rateLimit.requests, windowMs: rateLimit.windowMs };
}

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const random = new Random(options.randomSeed ?? Math.floor(Math.random() * 2 ** 32));
  const dataRandom = random.fork();
  const mutationRandom = random.fork();
  // The fault stream is the third fork, as it has always been: older seeds replay the same faults.
  const faultSeed = Math.floor(random.next() * 4294967296);
  const store = new Store(dataRandom);
  seedStore(store, options.seed ?? {});
  const api = new StripeApi(store);
  // After seeding: seeded objects predate every endpoint.
  const delivery = new StripeWebhookDelivery(api.webhookEndpoints, {
    ...(options.webhookUrl ? { url: options.webhookUrl } : {}),
    ...(options.webhookSecret ? { secret: options.webhookSecret } : {}),
    ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  store.onEvent((event) => delivery.eventRecorded(event));
  const mutator = new Mutator(store, api, mutationRandom, options.logger);
  const credentials = { apiKey: options.apiKey ?? 'sk_test_emulator' };
  const http = new HttpEmulator(new StripeWireFormat(api, credentials), {
    rateLimit: validateRateLimit(options.rateLimit),
    faults: validateFaults(options.faults ?? {}),
    faultSeed,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await http.listen(host, options.port ?? 0);

  const controls = mutationControls<StripeCollection>(
    http,
    (n, collections) => mutator.mutate(n, collections),
    (done) => options.logger?.debug({ created: done.created.length, updated: done.updated.length, deleted: done.deleted.length }, 'stripe emulator: random mutations'),
  );
  const emulator: StripeEmulator = {
    ...transportControls(http),
    collections: COLLECTIONS,
    get apiKey() {
      return credentials.apiKey;
    },
    setRateLimit(rateLimit) {
      http.setRateLimit(validateRateLimit(rateLimit));
    },
    setApiKey(apiKey) {
      if (apiKey.length === 0) throw new RangeError('apiKey must not be empty');
      credentials.apiKey = apiKey;
    },
    objects(collection) {
      if (!COLLECTIONS.includes(collection)) throw new RangeError(`unknown Stripe collection ${String(collection)}`);
      return store.objects(collection) satisfies JsonObject[] as Record<string, unknown>[];
    },
    change: (method, path, form = '') => api.handle({ method, path, params: decodeForm(form), ctx: NO_REQUEST }).body,
    webhooks: delivery.sender,
    webhookEndpoints: () => api.webhookEndpoints.all(),
    ...controls,
    close: async () => {
      await controls.close();
      await delivery.close();
    },
  };
  options.logger?.info({ url: emulator.url }, 'stripe emulator listening');
  return emulator;
}
