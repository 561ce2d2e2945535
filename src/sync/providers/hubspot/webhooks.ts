/**
 * HubSpot's webhooks (issue 24; docs/providers/hubspot.md "Webhooks"): an app's subscriptions
 * deliver batches of CRM events, signed with the app's client secret (`X-HubSpot-Signature-v3`),
 * to the one target URL set in the app's settings. There is no API a credential could register
 * them with: the user subscribes the app by hand (`manualSetup`).
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookMalformedError, type ParsedWebhook, type ProviderCredential, type ProviderWebhooks, type WebhookHint, type WebhookRequest } from '../provider.ts';

/** HubSpot's documented tolerance: reject a request whose timestamp is older than 5 minutes (and, our hardening, as far ahead). */
const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/** The percent-encodings HubSpot's docs say to decode in the URI before computing the v3 signature; every other one stays encoded. */
const DECODED_IN_URI: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$', '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

function signedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (encoded) => DECODED_IN_URI[encoded.toUpperCase()] ?? encoded);
}

/** base64 HMAC-SHA256 (key: the app's client secret) of `method + uri + body + timestamp`. */
function hubspotSignatureV3(secret: string, input: { method: string; url: string; rawBody: Buffer; timestamp: string }): string {
  return createHmac('sha256', secret)
    .update(input.method.toUpperCase())
    .update(signedUri(input.url))
    .update(input.rawBody)
    .update(input.timestamp)
    .digest('base64');
}

const verify: ProviderWebhooks['verify'] = (request, secret, now) => {
  const signature = request.headers.get('x-hubspot-signature-v3');
  const timestamp = request.headers.get('x-hubspot-request-timestamp');
  // The older X-HubSpot-Signature (v1: a plain SHA-256 of secret + body, X-HubSpot-Signature-Version: v1)
  // has no timestamp, so a replay could not be told apart: only v3 is accepted.
  if (!signature || !timestamp) return { ok: false, code: 'signature_missing' };
  if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, code: 'signature_invalid' };
  const expected = Buffer.from(hubspotSignatureV3(secret, { method: request.method, url: request.url, rawBody: request.rawBody, timestamp }));
  const given = Buffer.from(signature.trim());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, code: 'signature_invalid' };
  if (Math.abs(now.getTime() - Number(timestamp)) > SIGNATURE_TOLERANCE_MS) return { ok: false, code: 'timestamp_outside_tolerance' };
  return { ok: true };
};

/** Classic subscription types name the object (`contact.creation`); generic ones (`object.creation`) give its type id. */
const COLLECTION_BY_OBJECT_NAME: Record<string, string> = { contact: 'hubspot:contact', company: 'hubspot:company', deal: 'hubspot:deal' };
const COLLECTION_BY_TYPE_ID: Record<string, string> = { '0-1': 'hubspot:contact', '0-2': 'hubspot:company', '0-3': 'hubspot:deal' };

/** What an event's action says of its object; actions absent here (associationChange…) change nothing a record holds. */
const ACTIONS: Record<string, 'changed' | 'deleted' | 'merged'> = {
  creation: 'changed',
  propertyChange: 'changed',
  restore: 'changed',
  deletion: 'deleted',
  privacyDeletion: 'deleted',
  merge: 'merged',
};

type HubSpotEvent = Record<string, unknown>;

/** An object id as HubSpot sends it (a JSON number; ids are far below 2^53), as the listings' `id`. */
function objectIdOf(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  throw new WebhookMalformedError(`a HubSpot event's ${field} is not an object id`);
}

function collectionOf(event: HubSpotEvent, object: string): string | undefined {
  if (object === 'object') return typeof event.objectTypeId === 'string' ? COLLECTION_BY_TYPE_ID[event.objectTypeId] : undefined;
  return COLLECTION_BY_OBJECT_NAME[object];
}

function eventHints(event: HubSpotEvent): WebhookHint[] {
  const type = event.subscriptionType ?? event.eventType;
  if (typeof type !== 'string') throw new WebhookMalformedError('a HubSpot event has no subscriptionType');
  const dot = type.indexOf('.');
  const action = ACTIONS[type.slice(dot + 1)];
  const collectionId = dot > 0 ? collectionOf(event, type.slice(0, dot)) : undefined;
  if (!action || !collectionId) return [];
  if (action !== 'merged') return [{ collectionId, upstreamId: objectIdOf(event.objectId, 'objectId'), deleted: action === 'deleted' }];
  // A merge keeps one object (its id: newObjectId, else primaryObjectId) and removes the others.
  const kept = objectIdOf(event.newObjectId ?? event.primaryObjectId ?? event.objectId, 'primaryObjectId');
  const merged = Array.isArray(event.mergedObjectIds) ? event.mergedObjectIds.map((id) => objectIdOf(id, 'mergedObjectIds')) : [];
  return [{ collectionId, upstreamId: kept, deleted: false }, ...merged.filter((id) => id !== kept).map((upstreamId) => ({ collectionId, upstreamId, deleted: true }))];
}

/**
 * A batch's identity for redeliveries: its events without `attemptNumber` (which a retry
 * raises). `eventId` alone is not unique (HubSpot says so), hence a digest of the whole events.
 */
function deliveryId(events: HubSpotEvent[]): string {
  const digest = createHash('sha256');
  for (const { attemptNumber: _attempt, ...event } of events) digest.update(JSON.stringify(event, Object.keys(event).sort())).update('\n');
  return `hubspot:${digest.digest('base64url')}`;
}

const parse: ProviderWebhooks['parse'] = (request: WebhookRequest): ParsedWebhook => {
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new WebhookMalformedError('the HubSpot webhook body is not JSON');
  }
  if (!Array.isArray(body) || !body.every((event) => event !== null && typeof event === 'object' && !Array.isArray(event))) {
    throw new WebhookMalformedError('a HubSpot webhook body is a JSON array of event objects');
  }
  const events = body as HubSpotEvent[];
  // Several events of one object (a create and its property changes) make one hint: the latest event's.
  const ordered = [...events].sort((a, b) => (Number(a.occurredAt) || 0) - (Number(b.occurredAt) || 0));
  const hints = new Map<string, WebhookHint>();
  for (const event of ordered) {
    for (const hint of eventHints(event)) {
      const key = `${hint.collectionId} ${hint.upstreamId}`;
      hints.delete(key);
      hints.set(key, hint);
    }
  }
  return { deliveryId: events.length === 0 ? null : deliveryId(events), hints: [...hints.values()] };
};

const MANUAL_SETUP = [
  'HubSpot sends webhooks for an app, to one target URL, signed with the app\'s client secret; they are set up in the developer account, not through the API a credential can call.',
  '1. In your HubSpot developer account open the app (Apps → your app; for a private app: Settings → Integrations → Private Apps → your app → Webhooks).',
  '2. Webhooks → Target URL: paste this sync\'s webhook URL exactly (the signature covers it: same scheme, host, path, no trailing slash). Keep the event throttling at 10 or more concurrent requests.',
  '3. Create subscriptions, for each object the sync holds (contact, company, deal): creation, deletion, merge, restore (and contact privacyDeletion), and one propertyChange subscription for every property the collection syncs (docs/providers/hubspot.md lists them); activate them all.',
  '4. The signing secret is the app\'s client secret (Auth tab). A hubspot_oauth2 credential already carries it; for a private app, set it as the sync\'s webhooks.signing_secret.',
  '5. Install the app in (or, for a private app, create it in) the HubSpot account the sync reads.',
].join('\n');

export const hubspotWebhooks: ProviderWebhooks = {
  verify,
  parse,
  // The OAuth app's client secret signs its deliveries; a private app's secret is not part of a `hubspot` credential.
  credentialSecret: (credential: ProviderCredential) => credential.oauthApp?.clientSecret ?? null,
  manualSetup: MANUAL_SETUP,
};
