import type { EmulatorDescriptor } from '../kit/provider-emulator.ts';
import { startStripeEmulator, type StripeCollection } from './index.ts';

/** `--objects N`: N customers plus N/10 (at least 1) products, prices, subscriptions, invoices and charges. */
function seedCounts(objects: number): Partial<Record<StripeCollection, number>> {
  if (objects <= 0) return {};
  const others = Math.max(1, Math.floor(objects / 10));
  return { customer: objects, product: others, price: others, subscription: others, invoice: others, charge: others };
}

export const stripeEmulator: EmulatorDescriptor = {
  name: 'stripe',
  defaultPort: 12111,
  async start(options) {
    const emulator = await startStripeEmulator({
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      seed: seedCounts(options.objects ?? 0),
      rateLimit: options.rateLimit ?? null,
      faults: options.faults ?? {},
      ...(options.randomSeed !== undefined ? { randomSeed: options.randomSeed } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return Object.assign(emulator, {
      instructions: () => [
        `Stripe emulator listening on ${emulator.url} with API key ${emulator.apiKey}; Syncline credential:`,
        JSON.stringify({ kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url }),
      ],
    });
  },
};
