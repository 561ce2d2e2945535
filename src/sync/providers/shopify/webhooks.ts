/**
 * Shopify's webhooks (issue 24; docs/providers/shopify.md#webhooks): `X-Shopify-Hmac-Sha256` is
 * the base64 HMAC-SHA256 of the raw body keyed with the app's client secret; `X-Shopify-Topic`
 * names the change (`customers/update`) and the body is the REST resource (`{id}` for deletes).
 * Subscriptions are made with the REST Admin API's `webhooks.json`, one per topic.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ProviderContext, ProviderCredential, ProviderWebhooks, RegisteredWebhook, WebhookHint, WebhookRequest } from '../provider.ts';
import { UpstreamRequestError, WebhookMalformedError } from '../provider.ts';
import { ShopifyClient } from './client.ts';
import { shopifyCollection, shopifyCollections, type ShopifyCollection } from './collections.ts';

type Action = 'create' | 'update' | 'delete';

/** The topics Syncline subscribes to for a collection (orders' update topic is `orders/updated`). */
export function subscribedTopics(collection: ShopifyCollection): string[] {
  return (['create', 'update', 'delete'] as const).map((action) => `${collection.plural}/${topicAction(collection, action)}`);
}

function topicAction(collection: ShopifyCollection, action: Action): string {
  return action === 'update' && collection.plural === 'orders' ? 'updated' : action;
}

/**
 * Every topic whose body is the collection's resource (or `{id}` for a delete), to the collection
 * and whether it says the object is gone. Order topics besides `orders/updated` (cancelled,
 * fulfilled, paid…) also arrive when someone subscribed to them by hand: they are changes too.
 */
const TOPICS = new Map<string, { collection: ShopifyCollection; deleted: boolean }>();
for (const collection of shopifyCollections) {
  for (const action of ['create', 'update', 'delete'] as const) {
    TOPICS.set(`${collection.plural}/${topicAction(collection, action)}`, { collection, deleted: action === 'delete' });
  }
}
for (const topic of ['orders/cancelled', 'orders/fulfilled', 'orders/partially_fulfilled', 'orders/paid', 'customers/enable', 'customers/disable']) {
  TOPICS.set(topic, { collection: shopifyCollection(topic.startsWith('orders/') ? 'shopify:order' : 'shopify:customer'), deleted: false });
}

/** The base64 HMAC-SHA256 Shopify sends in `X-Shopify-Hmac-Sha256`. */
export function shopifySignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

function verify(request: WebhookRequest, secret: string): { ok: true } | { ok: false; code: 'signature_missing' | 'signature_invalid' } {
  const header = request.headers.get('x-shopify-hmac-sha256')?.trim();
  if (!header) return { ok: false, code: 'signature_missing' };
  // An empty key would let anyone sign: no secret known means nothing verifies.
  if (secret === '') return { ok: false, code: 'signature_invalid' };
  const given = Buffer.from(header, 'base64');
  const expected = createHmac('sha256', secret).update(request.rawBody).digest();
  // Shopify has no timestamp in the scheme: replays are caught by X-Shopify-Webhook-Id dedupe.
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, code: 'signature_invalid' };
}

function parse(request: WebhookRequest): { deliveryId: string | null; hints: WebhookHint[] } {
  const topic = request.headers.get('x-shopify-topic')?.trim().toLowerCase();
  if (!topic) throw new WebhookMalformedError('X-Shopify-Topic is missing');
  const deliveryId = request.headers.get('x-shopify-webhook-id')?.trim() || null;
  const known = TOPICS.get(topic);
  if (!known) return { deliveryId, hints: [] };
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new WebhookMalformedError(`the ${topic} body is not JSON`);
  }
  const id = body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
  // Listings answer `String(id)` of the parsed numeric id: the hint names the object the same way
  // (ids past 2^53, as in Shopify's sample payloads, lose the same digits in both).
  const upstreamId = typeof id === 'number' && Number.isInteger(id) && id > 0 ? String(id) : typeof id === 'string' && /^[1-9]\d*$/.test(id) ? id : null;
  if (upstreamId === null) throw new WebhookMalformedError(`the ${topic} body has no numeric "id"`);
  return { deliveryId, hints: [{ collectionId: known.collection.id, upstreamId, deleted: known.deleted }] };
}

/** The app's client secret: Shopify signs every webhook of the app with it. */
function credentialSecret(credential: ProviderCredential): string | null {
  return credential.oauthApp?.clientSecret || null;
}

interface ShopifyWebhook {
  id: number;
  address: string;
  topic: string;
}

/**
 * One subscription per topic to `url`. Subscriptions already made to `url` (a retried
 * registration, a renewal) are kept; those to `url` for topics no longer wanted, and `previous`'s
 * that are not kept, are removed. Shopify subscriptions do not lapse (`expiresAt` null).
 */
async function register(context: ProviderContext, input: { url: string; collectionIds: string[]; previous: RegisteredWebhook | null }): Promise<RegisteredWebhook> {
  const client = ShopifyClient.connect(context);
  const wanted = new Set(input.collectionIds.filter((id) => id.startsWith('shopify:')).flatMap((id) => subscribedTopics(shopifyCollection(id))));
  const existing = await listSubscriptions(client, input.url);
  const kept = new Map<string, number>();
  for (const hook of existing) if (wanted.has(hook.topic) && !kept.has(hook.topic)) kept.set(hook.topic, hook.id);
  for (const topic of wanted) {
    if (kept.has(topic)) continue;
    const answer = await client.request<{ webhook?: ShopifyWebhook }>('POST', client.url('webhooks.json'), { webhook: { topic, address: input.url, format: 'json' } });
    const id = answer.body?.webhook?.id;
    if (typeof id !== 'number') throw new Error(`Shopify answered the ${topic} subscription without its id`);
    kept.set(topic, id);
  }
  const keptIds = new Set([...kept.values()].map(String));
  const stale = new Set([...existing.map((hook) => String(hook.id)), ...(input.previous?.externalIds ?? [])].filter((id) => !keptIds.has(id)));
  for (const id of stale) await removeSubscription(client, id);
  // Shopify signs with the app's secret whoever subscribes: without it on the credential the
  // registration has none of its own ('' verifies nothing) and the sync's signing_secret must be the app's.
  return { externalIds: [...keptIds], secret: credentialSecret(context.credential) ?? '', expiresAt: null };
}

async function unregister(context: ProviderContext, registered: RegisteredWebhook): Promise<void> {
  const client = ShopifyClient.connect(context);
  for (const id of registered.externalIds) await removeSubscription(client, id);
}

async function listSubscriptions(client: ShopifyClient, address: string): Promise<ShopifyWebhook[]> {
  const answer = await client.get<{ webhooks?: ShopifyWebhook[] }>(client.url(`webhooks.json?${new URLSearchParams({ address, limit: '250' })}`));
  // Shopify filters on `address`; checked again so a subscription elsewhere is never touched.
  return (answer.body?.webhooks ?? []).filter((hook) => hook.address === address && typeof hook.id === 'number');
}

async function removeSubscription(client: ShopifyClient, id: string): Promise<void> {
  if (!/^\d+$/.test(id)) return;
  try {
    await client.request<unknown>('DELETE', client.url(`webhooks/${id}.json`));
  } catch (error) {
    if (!(error instanceof UpstreamRequestError && error.status === 404)) throw error;
  }
}

export const shopifyWebhooks: ProviderWebhooks = {
  verify: (request, secret) => verify(request, secret),
  parse,
  register,
  unregister,
  credentialSecret,
};
