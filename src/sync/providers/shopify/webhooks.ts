/**
 * Shopify's webhooks (issue 24; docs/providers/shopify.md#webhooks): `X-Shopify-Hmac-Sha256` is
 * the base64 HMAC-SHA256 of the raw body keyed with the app's client secret; `X-Shopify-Topic`
 * names the change (`customers/update`) and the body is the REST resource (`{id}` for deletes).
 * Subscriptions are made with the GraphQL Admin API's `webhookSubscriptionCreate`, one per topic
 * (the payloads stay the REST resource shape: Shopify sends webhooks so whatever API made them).
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ProviderContext, ProviderCredential, ProviderWebhooks, RegisteredWebhook, WebhookHint, WebhookRequest } from '../provider.ts';
import { WebhookMalformedError } from '../provider.ts';
import { ShopifyClient, throwUserErrors, type GraphqlResult } from './client.ts';
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
  /** The subscription's numeric id (RegisteredWebhook.externalIds keep these, as before GraphQL). */
  id: string;
  uri: string;
  /** The REST-style topic, `customers/update`. */
  topic: string;
}

/** `customers/update` ↔ the GraphQL enum `CUSTOMERS_UPDATE`. */
export const topicEnum = (topic: string): string => topic.toUpperCase().replace('/', '_');
const topicOfEnum = (value: string): string => value.toLowerCase().replace('_', '/');

const LIST = `query SynclineWebhooks($uri: String, $after: String) { webhookSubscriptions(first: 250, uri: $uri, after: $after) { nodes { id topic uri } pageInfo { hasNextPage endCursor } } }`;
const CREATE = `mutation SynclineWebhookCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) { webhookSubscription { id } userErrors { field message } } }`;
const DELETE = `mutation SynclineWebhookDelete($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`;

const numeric = (gid: unknown): string | null => (typeof gid === 'string' ? (/^gid:\/\/shopify\/WebhookSubscription\/(\d+)/.exec(gid)?.[1] ?? null) : null);

/**
 * One subscription per topic to `url`. Subscriptions already made to `url` (a retried
 * registration, a renewal) are kept; those to `url` for topics no longer wanted, and `previous`'s
 * that are not kept, are removed. Shopify subscriptions do not lapse (`expiresAt` null).
 */
async function register(context: ProviderContext, input: { url: string; collectionIds: string[]; previous: RegisteredWebhook | null }): Promise<RegisteredWebhook> {
  const client = ShopifyClient.connect(context);
  const wanted = new Set(input.collectionIds.filter((id) => id.startsWith('shopify:')).flatMap((id) => subscribedTopics(shopifyCollection(id))));
  const existing = await listSubscriptions(client, input.url);
  const kept = new Map<string, string>();
  for (const hook of existing) if (wanted.has(hook.topic) && !kept.has(hook.topic)) kept.set(hook.topic, hook.id);
  for (const topic of wanted) {
    if (kept.has(topic)) continue;
    const { data } = await client.mutate<{ webhookSubscriptionCreate: { webhookSubscription: { id: string } | null; userErrors: Array<{ field: string[] | null; message: string }> } }>(CREATE, {
      topic: topicEnum(topic),
      webhookSubscription: { uri: input.url, format: 'JSON' },
    });
    throwUserErrors(data.webhookSubscriptionCreate.userErrors);
    const id = numeric(data.webhookSubscriptionCreate.webhookSubscription?.id);
    if (id === null) throw new Error(`Shopify answered the ${topic} subscription without its id`);
    kept.set(topic, id);
  }
  const keptIds = new Set(kept.values());
  const stale = new Set([...existing.map((hook) => hook.id), ...(input.previous?.externalIds ?? [])].filter((id) => !keptIds.has(id)));
  for (const id of stale) await removeSubscription(client, id);
  // Shopify signs with the app's secret whoever subscribes: without it on the credential the
  // registration has none of its own ('' verifies nothing) and the sync's signing_secret must be the app's.
  return { externalIds: [...keptIds], secret: credentialSecret(context.credential) ?? '', expiresAt: null };
}

async function unregister(context: ProviderContext, registered: RegisteredWebhook): Promise<void> {
  const client = ShopifyClient.connect(context);
  for (const id of registered.externalIds) await removeSubscription(client, id);
}

async function listSubscriptions(client: ShopifyClient, uri: string): Promise<ShopifyWebhook[]> {
  const found: ShopifyWebhook[] = [];
  let after: string | null = null;
  for (;;) {
    const answer: GraphqlResult<{ webhookSubscriptions: { nodes: Array<{ id: string; topic: string; uri: string }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }> = await client.query(LIST, { uri, after });
    const page = answer.data.webhookSubscriptions;
    // Shopify filters on `uri`; checked again so a subscription elsewhere is never touched.
    for (const node of page.nodes) {
      const id = numeric(node.id);
      if (id !== null && node.uri === uri) found.push({ id, uri: node.uri, topic: topicOfEnum(node.topic) });
    }
    if (!page.pageInfo.hasNextPage) return found;
    after = page.pageInfo.endCursor;
  }
}

async function removeSubscription(client: ShopifyClient, id: string): Promise<void> {
  if (!/^\d+$/.test(id)) return;
  // A subscription already gone answers a userError: removed all the same.
  await client.mutate(DELETE, { id: `gid://shopify/WebhookSubscription/${id}` });
}

export const shopifyWebhooks: ProviderWebhooks = {
  verify: (request, secret) => verify(request, secret),
  parse,
  register,
  unregister,
  credentialSecret,
};
