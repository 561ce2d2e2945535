import type { EmulatorDescriptor } from '../kit/provider-emulator.ts';
import { startStripeEmulator, type StripeCollection } from './index.ts';
import { DEFAULT_WEBHOOK_SECRET } from './webhook-delivery.ts';

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
      ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
      ...(options.webhookSecret ? { webhookSecret: options.webhookSecret } : {}),
      ...(options.webhookRetryDelaysMs ? { webhookRetryDelaysMs: options.webhookRetryDelaysMs } : {}),
    });
    return Object.assign(emulator, {
      instructions: () => [
        `Stripe emulator listening on ${emulator.url} with API key ${emulator.apiKey}; Syncline credential:`,
        JSON.stringify({ kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url }),
        'Webhooks: a sync created with "webhooks": {"enabled": true} registers its endpoint here (POST /v1/webhook_endpoints) when Syncline has SYNCLINE_PUBLIC_URL;',
        options.webhookUrl
          ? `every event is also sent to ${options.webhookUrl}, signed with ${options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET} (the sync's webhooks.signing_secret).`
          : `or restart with --webhook-url <Syncline>/v1/webhooks/in/<sync_id> and set the sync's webhooks.signing_secret to --webhook-secret (default ${DEFAULT_WEBHOOK_SECRET}).`,
      ],
    });
  },
};
