/**
 * The webhooks a shop's changes send, as Shopify sends them: one POST per subscription of each
 * topic the change triggers, the REST resource as the body (`{id}` for a delete), signed with the
 * app's client secret (`X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 of the body), and the
 * `X-Shopify-Topic`, `-Shop-Domain`, `-API-Version`, `-Webhook-Id` (the same on every retry),
 * `-Triggered-At` and `-Event-Id` (the same for every subscription of one event) headers.
 * Shopify retries a non-2xx answer or a 5-second timeout 8 times over 4 hours; here in seconds.
 */

import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookEndpoint, WebhookSender } from '../kit/webhook-sender.ts';
import type { ShopifyObject } from './objects.ts';
import { ADMIN_SCHEMA_VERSION } from './admin-schema.ts';
import { RESOURCES, type StoreChange } from './store.ts';
import { EMULATED_TOPICS, type WebhookSubscriptions } from './webhook-subscriptions.ts';

/** Shopify's 8 retries over 4 hours, scaled down (about 1 : 1,000). */
export const SHOPIFY_WEBHOOK_RETRY_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 3_000, 4_000, 5_000];
/** Shopify waits 5 seconds for an answer. */
export const SHOPIFY_WEBHOOK_TIMEOUT_MS = 5_000;
/** The API version of deliveries to `--webhook-url` (a subscription's is the version it was made under). */
const CLI_API_VERSION = ADMIN_SCHEMA_VERSION;

/** The topics one write triggers (e.g. an order cancelled: `orders/updated` and `orders/cancelled`). */
export function topicsOf(change: StoreChange): string[] {
  const { plural } = RESOURCES[change.kind];
  if (change.verb === 'create') return [`${plural}/create`];
  if (change.verb === 'destroy') return [`${plural}/delete`];
  const before = change.previous ?? {};
  const after = change.object;
  const became = (field: string, value?: unknown): boolean => before[field] !== after[field] && (value === undefined ? after[field] !== null && after[field] !== undefined : after[field] === value);
  switch (change.kind) {
    case 'order':
      return ['orders/updated', ...(became('cancelled_at') ? ['orders/cancelled'] : []), ...(became('fulfillment_status', 'fulfilled') ? ['orders/fulfilled'] : []), ...(became('financial_status', 'paid') ? ['orders/paid'] : [])];
    case 'customer':
      return ['customers/update', ...(became('state', 'enabled') ? ['customers/enable'] : []), ...(became('state', 'disabled') ? ['customers/disable'] : [])];
    case 'product':
      return ['products/update'];
  }
}

/** The body of a topic: the resource, or what Shopify still says of a deleted one. */
function payloadOf(change: StoreChange): ShopifyObject {
  if (change.verb !== 'destroy') return change.object;
  if (change.kind !== 'customer') return { id: change.object.id };
  return {
    id: change.object.id,
    phone: null,
    addresses: [],
    tax_exemptions: [],
    email_marketing_consent: null,
    sms_marketing_consent: null,
    admin_graphql_api_id: change.object.admin_graphql_api_id,
  };
}

/** The headers of one Shopify webhook, its HMAC over `body` with `secret` (the app's client secret). */
export function shopifyWebhookHeaders(input: {
  topic: string;
  body: string;
  secret: string;
  shop: string;
  apiVersion: string;
  /** The delivery's id: the same on each of its retries. */
  webhookId: string;
  /** The event's id: the same on its deliveries to every subscription. */
  eventId: string;
  triggeredAt: string;
}): Record<string, string> {
  return {
    'X-Shopify-Topic': input.topic,
    'X-Shopify-Hmac-Sha256': createHmac('sha256', input.secret).update(input.body).digest('base64'),
    'X-Shopify-Shop-Domain': input.shop,
    'X-Shopify-API-Version': input.apiVersion,
    'X-Shopify-Webhook-Id': input.webhookId,
    'X-Shopify-Triggered-At': input.triggeredAt,
    'X-Shopify-Event-Id': input.eventId,
  };
}

export interface ShopifyWebhookSettings {
  shop: string;
  /** The app's client secret: every delivery is signed with it. */
  clientSecret: string;
  /** `--webhook-url`: every emulated topic goes there too. */
  extraUrl: string | null;
}

export class ShopifyWebhookDeliveries {
  constructor(
    private readonly sender: WebhookSender,
    private readonly subscriptions: WebhookSubscriptions,
    private readonly settings: ShopifyWebhookSettings,
  ) {}

  /** Sends the webhooks of one write. */
  send(change: StoreChange): void {
    const triggeredAt = new Date().toISOString();
    const payload = payloadOf(change);
    for (const topic of topicsOf(change)) {
      const eventId = randomUUID();
      const targets: Array<{ endpoint: WebhookEndpoint; apiVersion: string; fields: string[] }> = this.subscriptions
        .forTopic(topic)
        .map((s) => ({ endpoint: { id: String(s.id), url: s.address, secret: this.settings.clientSecret, events: [s.topic] }, apiVersion: s.api_version, fields: s.fields }));
      if (this.settings.extraUrl) {
        targets.push({ endpoint: { id: 'cli', url: this.settings.extraUrl, secret: this.settings.clientSecret, events: [...EMULATED_TOPICS] }, apiVersion: CLI_API_VERSION, fields: [] });
      }
      for (const { endpoint, apiVersion, fields } of targets) {
        const body = JSON.stringify(fields.length > 0 ? Object.fromEntries(Object.entries(payload).filter(([key]) => fields.includes(key))) : payload);
        const deliveryId = randomUUID();
        this.sender.send({
          endpoint,
          deliveryId,
          body,
          sign: (_attempt, signed) => shopifyWebhookHeaders({ topic, body: signed, secret: endpoint.secret, shop: this.settings.shop, apiVersion, webhookId: deliveryId, eventId, triggeredAt }),
        });
      }
    }
  }
}
