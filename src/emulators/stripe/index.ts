/**
 * Stripe API emulator: a real HTTP server speaking Stripe's v1 wire format (form-encoded writes,
 * cursor pagination, events, idempotency keys, Stripe's errors) for the official `stripe` SDK.
 */

import type { Logger } from 'pino';
import { StripeApi } from './api.ts';
import type { JsonObject } from './json.ts';
import { Mutator } from './mutator.ts';
import { COLLECTIONS, type StripeCollection } from './objects.ts';
import { Random } from './random.ts';
import { seedStore } from './seed.ts';
import { StripeHttpServer, type FaultKind, type Faults, type RequestLogEntry, type ServerSettings } from './server.ts';
import { Store } from './store.ts';

export type { StripeCollection } from './objects.ts';
export type { FaultKind, Faults, RequestLogEntry } from './server.ts';

export interface StripeEmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a random free port). */
  port?: number;
  /** Default 'sk_test_emulator'. Requests must send `Authorization: Bearer <apiKey>` (or HTTP Basic with the key as user name). */
  apiKey?: string;
  /** Objects created at start (prices reference seeded products; subscriptions, invoices, charges reference seeded customers). */
  seed?: Partial<Record<StripeCollection, number>>;
  /** Sliding one-second window; over it → 429 in Stripe's shape. */
  rateLimit?: { requestsPerSecond: number } | null;
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
}

export interface StripeEmulator {
  /** e.g. 'http://127.0.0.1:54321' */
  url: string;
  port: number;
  apiKey: string;
  /** Every request, in arrival order (rejected ones included). */
  requestLog: RequestLogEntry[];
  clearRequestLog(): void;
  setFaults(faults: Faults): void;
  /** How many faults of each kind were injected since the start (`slow`: answers delayed). */
  readonly faultCounts: Readonly<Record<FaultKind, number>>;
  setRateLimit(rateLimit: { requestsPerSecond: number } | null): void;
  /** Rotate the key (the old key then gets 401). */
  setApiKey(apiKey: string): void;
  /** Current live (non-deleted) objects of a collection, exactly as GET would return them (JSON-cloned). For 'subscription' include canceled ones. */
  objects(collection: StripeCollection): Record<string, unknown>[];
  /** Apply n random creates/updates/deletes across collections (generating the matching events), returns what was done. */
  mutateRandomly(n: number, collections?: StripeCollection[]): { created: string[]; updated: string[]; deleted: string[] };
  /** Start/stop applying `perTick` random mutations every `everyMs`. */
  startRandomMutations(options: { everyMs: number; perTick: number; collections?: StripeCollection[] }): void;
  stopRandomMutations(): void;
  close(): Promise<void>;
}

const DURATION_FAULTS = new Set(['timeoutMs', 'slowMs']);
const COUNT_FAULTS = new Set(['maxTimeouts']);

function validateFaults(faults: Faults): Faults {
  for (const [name, value] of Object.entries(faults) as [string, number | undefined][]) {
    if (value === undefined) continue;
    if (COUNT_FAULTS.has(name)) {
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`faults.${name} must be a non-negative integer, got ${value}`);
    } else if (DURATION_FAULTS.has(name)) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`faults.${name} must be a non-negative number of milliseconds, got ${value}`);
    } else if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new RangeError(`faults.${name} must be a probability between 0 and 1, got ${value}`);
    }
  }
  return { ...faults };
}

function validateRateLimit(rateLimit: { requestsPerSecond: number } | null | undefined): { requestsPerSecond: number } | null {
  if (!rateLimit) return null;
  if (!Number.isFinite(rateLimit.requestsPerSecond) || rateLimit.requestsPerSecond < 0) {
    throw new RangeError(`rateLimit.requestsPerSecond must be a non-negative number, got ${rateLimit.requestsPerSecond}`);
  }
  return { requestsPerSecond: rateLimit.requestsPerSecond };
}

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const random = new Random(options.randomSeed ?? Math.floor(Math.random() * 2 ** 32));
  const dataRandom = random.fork();
  const mutationRandom = random.fork();
  const faultRandom = random.fork();
  const store = new Store(dataRandom);
  seedStore(store, options.seed ?? {});
  const api = new StripeApi(store);
  const mutator = new Mutator(store, api, mutationRandom, options.logger);
  const settings: ServerSettings = {
    apiKey: options.apiKey ?? 'sk_test_emulator',
    rateLimit: validateRateLimit(options.rateLimit),
    faults: validateFaults(options.faults ?? {}),
    requestLog: [],
    faultRandom,
    faultCounts: { rate429: 0, rate500: 0, timeout: 0, reset: 0, truncated: 0, slow: 0 },
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const http = new StripeHttpServer(api, settings);
  const port = await http.listen(host, options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let timer: NodeJS.Timeout | undefined;

  const emulator: StripeEmulator = {
    url: `http://${urlHost}:${port}`,
    port,
    get apiKey() {
      return settings.apiKey;
    },
    get requestLog() {
      return settings.requestLog;
    },
    clearRequestLog() {
      settings.requestLog.length = 0;
    },
    get faultCounts() {
      return { ...settings.faultCounts! };
    },
    setFaults(faults) {
      settings.faults = validateFaults(faults);
    },
    setRateLimit(rateLimit) {
      settings.rateLimit = validateRateLimit(rateLimit);
    },
    setApiKey(apiKey) {
      if (apiKey.length === 0) throw new RangeError('apiKey must not be empty');
      settings.apiKey = apiKey;
    },
    objects(collection) {
      if (!COLLECTIONS.includes(collection)) throw new RangeError(`unknown Stripe collection ${String(collection)}`);
      return store.objects(collection) satisfies JsonObject[] as Record<string, unknown>[];
    },
    mutateRandomly(n, collections) {
      return mutator.mutate(n, collections);
    },
    startRandomMutations({ everyMs, perTick, collections }) {
      if (!(everyMs > 0)) throw new RangeError('everyMs must be positive');
      if (timer) clearInterval(timer);
      timer = setInterval(() => {
        const done = mutator.mutate(perTick, collections);
        options.logger?.debug(
          { created: done.created.length, updated: done.updated.length, deleted: done.deleted.length },
          'stripe emulator: random mutations',
        );
      }, everyMs);
      timer.unref();
    },
    stopRandomMutations() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    async close() {
      emulator.stopRandomMutations();
      await http.close();
    },
  };
  options.logger?.info({ url: emulator.url }, 'stripe emulator listening');
  return emulator;
}
