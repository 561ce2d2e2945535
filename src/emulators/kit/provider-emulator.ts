/**
 * What every provider emulator offers its users (tests, the conformance suite, `npm run emulate`),
 * whatever the provider: its address, request log, faults, its objects as the API returns them,
 * and random changes over time.
 */

import type { Logger } from 'pino';
import type { WebhookSender } from './webhook-sender.ts';
import { HttpEmulator, type EmulatorRateLimit, type EmulatorWireFormat, type ExchangeRecorderLimits, type ExchangeRecording, type FaultKind, type Faults, type RequestLogEntry } from './http-emulator.ts';

export interface ChangesMade {
  created: string[];
  updated: string[];
  deleted: string[];
}

export interface ProviderEmulator<Collection extends string = string> {
  /** e.g. 'http://127.0.0.1:54321' */
  url: string;
  port: number;
  /** Every request, in arrival order (rejected ones included). */
  readonly requestLog: RequestLogEntry[];
  clearRequestLog(): void;
  /** Switches on the exchange recorder (requests with their answers, bounded), e.g. to check them against the provider's API description. */
  recordExchanges(limits?: ExchangeRecorderLimits): ExchangeRecording;
  stopRecordingExchanges(): void;
  setFaults(faults: Faults): void;
  readonly faultCounts: Readonly<Record<FaultKind, number>>;
  setRateLimit(rateLimit: EmulatorRateLimit | null): void;
  /** The collections (object names without the provider prefix, e.g. `contact`). */
  readonly collections: readonly Collection[];
  /** Live (non-deleted) objects of a collection, exactly as the API's GET returns them (JSON-cloned). */
  objects(collection: Collection): Record<string, unknown>[];
  /** n random creates / updates / deletes across the collections, with whatever change feed the provider keeps. */
  mutateRandomly(n: number, collections?: Collection[]): ChangesMade;
  startRandomMutations(options: { everyMs: number; perTick: number; collections?: Collection[] }): void;
  stopRandomMutations(): void;
  /**
   * For providers that send webhooks (issue 24): the sender (its `attempts` log, `settled()`)
   * delivering to the endpoints registered through the emulator's API and to `webhookUrl`.
   */
  readonly webhooks?: WebhookSender;
  close(): Promise<void>;
}

/** Options every emulator understands (`npm run emulate -- <provider> …`). */
export interface CommonEmulatorOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** The API key / access token clients must send (each emulator has a default). */
  apiKey?: string;
  /** Objects seeded per collection (the provider decides the mix, e.g. fewer of a child collection). */
  objects?: number;
  /** The emulator's own limit (429 beyond it, in the provider's shape); null = none. */
  rateLimit?: EmulatorRateLimit | null;
  faults?: Faults;
  randomSeed?: number;
  logger?: Logger;
  /**
   * Also send the provider's webhooks for every change (random or through the API) to this URL
   * (`--webhook-url`), signed with `webhookSecret` (`--webhook-secret`; each emulator has a
   * default), besides the endpoints registered through its API.
   */
  webhookUrl?: string;
  webhookSecret?: string;
  /** Delays of the webhook retries (default WebhookSender's). */
  webhookRetryDelaysMs?: number[];
}

/** An emulator as `npm run emulate` lists it. */
export interface EmulatorDescriptor {
  name: string;
  defaultPort: number;
  start(options: CommonEmulatorOptions): Promise<ProviderEmulator & {
    /** Lines telling a person how to point Syncline at it (credential JSON, OAuth app to create). */
    instructions(): string[];
  }>;
}

/**
 * The transport of an emulator, started from the common options (its rate limit, validated
 * faults, a fault stream seeded from `randomSeed`, logger) and listening on `host:port`.
 */
export async function listenHttpEmulator(
  wire: EmulatorWireFormat,
  options: CommonEmulatorOptions,
  overrides: { rateLimit?: EmulatorRateLimit | null } = {},
): Promise<HttpEmulator> {
  const http = new HttpEmulator(wire, {
    rateLimit: 'rateLimit' in overrides ? (overrides.rateLimit ?? null) : (options.rateLimit ?? null),
    faults: validateFaults(options.faults ?? {}),
    faultSeed: (options.randomSeed ?? 42) ^ 0x5eed,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  await http.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return http;
}

type TransportControls = Pick<ProviderEmulator, 'url' | 'port' | 'requestLog' | 'clearRequestLog' | 'recordExchanges' | 'stopRecordingExchanges' | 'setFaults' | 'faultCounts' | 'setRateLimit'>;

/**
 * The transport half of every ProviderEmulator, answered by its listening HttpEmulator (spread it
 * into the emulator object: the log and the counts are live objects the transport updates).
 */
export function transportControls(http: HttpEmulator): TransportControls {
  return {
    url: http.url,
    port: http.port,
    requestLog: http.requestLog,
    clearRequestLog: () => http.clearRequestLog(),
    recordExchanges: (limits) => http.recordExchanges(limits),
    stopRecordingExchanges: () => http.stopRecordingExchanges(),
    setFaults: (faults) => http.setFaults(validateFaults(faults)),
    faultCounts: http.faultCounts,
    setRateLimit: (rateLimit) => http.setRateLimit(rateLimit),
  };
}

const DURATION_FAULTS = new Set(['timeoutMs', 'slowMs']);
const COUNT_FAULTS = new Set(['maxTimeouts']);

/** Checks fault settings (probabilities 0..1, durations and counts ≥ 0); answers a copy. */
export function validateFaults(faults: Faults): Faults {
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

/**
 * The random changes and the shutdown of an emulator: `mutate` makes the provider's random
 * creates / updates / deletes, `onTick` sees what each timed round made (e.g. to log it).
 */
export function mutationControls<Collection extends string>(
  http: HttpEmulator,
  mutate: (n: number, collections?: Collection[]) => ChangesMade,
  onTick?: (made: ChangesMade) => void,
): Pick<ProviderEmulator<Collection>, 'mutateRandomly' | 'startRandomMutations' | 'stopRandomMutations' | 'close'> {
  const timer = new MutationTimer();
  return {
    mutateRandomly: (n, collections) => mutate(n, collections),
    startRandomMutations: ({ everyMs, perTick, collections }) =>
      timer.start(everyMs, () => {
        const made = mutate(perTick, collections);
        onTick?.(made);
      }),
    stopRandomMutations: () => timer.stop(),
    close: async () => {
      timer.stop();
      await http.close();
    },
  };
}

/** Runs `tick` every `everyMs` (unref'd) until stopped: the random-mutation loop of every emulator. */
export class MutationTimer {
  private timer: NodeJS.Timeout | undefined;

  start(everyMs: number, tick: () => void): void {
    if (!(everyMs > 0)) throw new RangeError('everyMs must be positive');
    this.stop();
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
