/**
 * Sends every event the emulator records as Stripe does: the event, pretty-printed as Stripe's
 * bodies are, POSTed to each enabled endpoint subscribed to its type (and to `--webhook-url`),
 * signed `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` with a fresh
 * timestamp on every attempt, and retried on failure with backoff (Stripe's hours scaled down).
 */

import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { WebhookSender, type WebhookEndpoint } from '../kit/webhook-sender.ts';
import type { JsonObject } from './json.ts';
import type { WebhookEndpoints } from './resources/webhook-endpoints.ts';

/** What `--webhook-url` deliveries are signed with unless `--webhook-secret` says otherwise. */
export const DEFAULT_WEBHOOK_SECRET = 'whsec_emulator_default_signing_secret';

/** Stripe retries with exponential backoff over up to 3 days; here the same shape in seconds. */
export const STRIPE_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [200, 600, 1_800, 5_400, 16_200];

export interface StripeWebhookOptions {
  /** `--webhook-url`: also sent every event, whatever its type. */
  url?: string;
  secret?: string;
  retryDelaysMs?: readonly number[];
  logger?: Logger;
}

/** The `Stripe-Signature` header of `body` signed with `secret` at `timestamp` (unix seconds). */
export function stripeSignatureHeader(body: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export class StripeWebhookDelivery {
  readonly sender: WebhookSender;
  private readonly cliEndpoint: WebhookEndpoint | null;

  constructor(
    private readonly endpoints: WebhookEndpoints,
    options: StripeWebhookOptions,
  ) {
    this.sender = new WebhookSender({
      retryDelaysMs: options.retryDelaysMs ?? STRIPE_WEBHOOK_RETRY_DELAYS_MS,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.cliEndpoint = options.url ? { id: 'cli', url: options.url, secret: options.secret ?? DEFAULT_WEBHOOK_SECRET, events: ['*'] } : null;
  }

  /** Sends `event` (as stored: its `pending_webhooks` becomes the number of endpoints it goes to). */
  eventRecorded(event: JsonObject): void {
    const targets = this.endpoints.subscribedTo(event['type'] as string);
    if (this.cliEndpoint) targets.push(this.cliEndpoint);
    if (targets.length === 0) return;
    event['pending_webhooks'] = targets.length;
    const body = JSON.stringify(event, null, 2);
    for (const endpoint of targets) {
      this.sender.send({
        endpoint,
        deliveryId: event['id'] as string,
        body,
        sign: (_attempt, signed) => ({
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'cache-control': 'no-cache',
          accept: '*/*; q=0.5, application/xml',
          'stripe-signature': stripeSignatureHeader(signed, endpoint.secret, Math.floor(Date.now() / 1000)),
        }),
      });
    }
  }

  close(): Promise<void> {
    return this.sender.close();
  }
}
