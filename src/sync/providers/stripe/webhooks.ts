/**
 * Stripe's webhooks (issue 24, docs/providers/stripe.md § Webhooks): `Stripe-Signature`
 * (`t=…,v1=…`) verified with the official SDK, events turned into hints with the same event types
 * the events-feed polling reads, and webhook endpoints registered through `/v1/webhook_endpoints`.
 */

import Stripe from 'stripe';
import type { ParsedWebhook, ProviderContext, ProviderWebhooks, RegisteredWebhook, WebhookHint, WebhookRejection, WebhookRequest } from '../provider.ts';
import { UpstreamRequestError, WebhookMalformedError } from '../provider.ts';
import { callStripe, createStripeClient } from './client.ts';
import { stripeCollection, stripeCollections } from './collections.ts';

/** Stripe's documented default: a signature older than 5 minutes is a replay. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

const ENDPOINT_DESCRIPTION = 'Syncline';

/** Event type → the collection whose object it carries (the polling's own `eventTypes`). */
const collectionOfEventType = new Map<string, { collectionId: string; deleted: boolean }>(
  stripeCollections.flatMap((c) => c.eventTypes.map((type) => [type, { collectionId: c.id, deleted: c.deletedEventTypes.includes(type) }] as const)),
);

/**
 * The SDK checks the signature and then the age; it is asked twice (without, then with the
 * tolerance) so that which check failed is known without reading its error messages.
 */
function verify(request: WebhookRequest, secret: string, now: Date): { ok: true } | { ok: false; code: WebhookRejection } {
  const header = request.headers.get('stripe-signature');
  if (header === null || header.trim() === '') return { ok: false, code: 'signature_missing' };
  const signature = Stripe.webhooks.signature;
  if (!signature) throw new Error('the stripe package has no webhook signature helper');
  try {
    signature.verifyHeader(request.rawBody, header, secret, 0);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) return { ok: false, code: 'signature_invalid' };
    throw error;
  }
  try {
    signature.verifyHeader(request.rawBody, header, secret, STRIPE_SIGNATURE_TOLERANCE_SECONDS, undefined, now.getTime());
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) return { ok: false, code: 'timestamp_outside_tolerance' };
    throw error;
  }
  return { ok: true };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{id: 'evt_…', object: 'event', type, data: {object: {id, …}}}` → one hint; the event id is the delivery id. */
function parse(request: WebhookRequest): ParsedWebhook {
  let event: unknown;
  try {
    event = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new WebhookMalformedError('the Stripe webhook body is not JSON');
  }
  if (!isRecord(event) || typeof event['id'] !== 'string' || event['id'] === '' || typeof event['type'] !== 'string') {
    throw new WebhookMalformedError('the Stripe webhook body is not an event (id, type)');
  }
  const deliveryId = event['id'];
  const target = collectionOfEventType.get(event['type']);
  if (!target) return { deliveryId, hints: [] };
  const data = event['data'];
  const object = isRecord(data) ? data['object'] : undefined;
  if (!isRecord(object) || typeof object['id'] !== 'string' || object['id'] === '') {
    throw new WebhookMalformedError(`the Stripe ${event['type']} event carries no data.object.id`);
  }
  const hint: WebhookHint = { collectionId: target.collectionId, upstreamId: object['id'], deleted: target.deleted };
  return { deliveryId, hints: [hint] };
}

/** Every event type the polling reads for `collectionIds`: the endpoint's `enabled_events`. */
export function enabledEventsFor(collectionIds: string[]): string[] {
  return [...new Set(collectionIds.flatMap((id) => stripeCollection(id).eventTypes))].sort();
}

const isMissing = (error: unknown): boolean => error instanceof UpstreamRequestError && error.status === 404;

/**
 * One endpoint per sync. A previous endpoint is updated in place (its secret stays: Stripe answers
 * a secret only at creation); one deleted upstream meanwhile is made again.
 */
async function register(context: ProviderContext, input: { url: string; collectionIds: string[]; previous: RegisteredWebhook | null }): Promise<RegisteredWebhook> {
  const stripe = createStripeClient(context);
  const enabledEvents = enabledEventsFor(input.collectionIds) as Stripe.WebhookEndpointCreateParams.EnabledEvent[];
  const previousId = input.previous?.externalIds[0];
  if (input.previous && previousId) {
    try {
      const updated = await callStripe(() => stripe.webhookEndpoints.update(previousId, { url: input.url, enabled_events: enabledEvents as Stripe.WebhookEndpointUpdateParams.EnabledEvent[], disabled: false }));
      return { externalIds: [updated.id], secret: input.previous.secret, expiresAt: null };
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  const created = await callStripe(() => stripe.webhookEndpoints.create({ url: input.url, enabled_events: enabledEvents, description: ENDPOINT_DESCRIPTION }));
  if (!created.secret) throw new UpstreamRequestError('Stripe created the webhook endpoint without its secret', 502, 'webhook_secret_missing');
  return { externalIds: [created.id], secret: created.secret, expiresAt: null };
}

async function unregister(context: ProviderContext, registered: RegisteredWebhook): Promise<void> {
  const stripe = createStripeClient(context);
  for (const id of registered.externalIds) {
    try {
      await callStripe(() => stripe.webhookEndpoints.del(id));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
}

export const stripeWebhooks: ProviderWebhooks = { verify, parse, register, unregister };
