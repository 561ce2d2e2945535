import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hubspotProvider } from '../../../../src/sync/providers/hubspot/index.ts';
import { WebhookMalformedError, type ProviderCredential, type WebhookRequest } from '../../../../src/sync/providers/provider.ts';

const webhooks = hubspotProvider.webhooks!;
const SECRET = 'c0ffee00-1234-4abc-9def-0123456789ab';
const URL_ = 'https://syncline.example.com/v1/webhooks/in/3f6c2a1e-0000-4000-8000-000000000001';
const NOW = new Date('2026-12-07T06:00:00.000Z');

/** HubSpot's documented v3 scheme, written here on its own: base64 HMAC-SHA256(secret, method + uri + body + timestamp). */
function sign(secret: string, method: string, uri: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}${uri}${body}${timestamp}`, 'utf8').digest('base64');
}

function request(body: string, options: { secret?: string; timestampMs?: number; url?: string; signedUri?: string; headers?: Record<string, string | null> } = {}): WebhookRequest {
  const timestamp = String(options.timestampMs ?? NOW.getTime() - 1_000);
  const url = options.url ?? URL_;
  const headers = new Headers({
    'content-type': 'application/json',
    'x-hubspot-signature-v3': sign(options.secret ?? SECRET, 'POST', options.signedUri ?? url, body, timestamp),
    'x-hubspot-request-timestamp': timestamp,
  });
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return { method: 'POST', url, headers, rawBody: Buffer.from(body, 'utf8') };
}

const event = (fields: Record<string, unknown>) => ({ eventId: 101, subscriptionId: 12345, portalId: 62515, appId: 54321, occurredAt: NOW.getTime() - 5_000, attemptNumber: 0, changeSource: 'CRM', ...fields });
const body = (...events: Record<string, unknown>[]) => JSON.stringify(events);

describe('HubSpot webhooks: verify (X-HubSpot-Signature-v3)', () => {
  const payload = body(event({ subscriptionType: 'contact.creation', objectId: 123, changeFlag: 'NEW' }));

  it('accepts HubSpot\'s published test vector', () => {
    // From HubSpot's API client test suites (v3): secret, URL, body and timestamp with their expected signature.
    const vector: WebhookRequest = {
      method: 'POST',
      url: 'https://www.example.com/webhook_uri',
      headers: new Headers({ 'x-hubspot-signature-v3': 'K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=', 'x-hubspot-request-timestamp': '1693657560000' }),
      rawBody: Buffer.from("{'example_field':'example_value'}"),
    };
    expect(webhooks.verify(vector, 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy', new Date(1693657560000 + 1_000))).toEqual({ ok: true });
  });

  it('accepts a request signed with the app secret', () => {
    expect(webhooks.verify(request(payload), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses one signed with another secret', () => {
    expect(webhooks.verify(request(payload, { secret: 'another-secret' }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a request without the signature or without the timestamp', () => {
    expect(webhooks.verify(request(payload, { headers: { 'x-hubspot-signature-v3': null } }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
    expect(webhooks.verify(request(payload, { headers: { 'x-hubspot-request-timestamp': null } }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
  });

  it('does not accept the older v1 signature in place of v3', () => {
    const v1 = request(payload, { headers: { 'x-hubspot-signature-v3': null, 'x-hubspot-signature': 'a'.repeat(64), 'x-hubspot-signature-version': 'v1' } });
    expect(webhooks.verify(v1, SECRET, NOW)).toEqual({ ok: false, code: 'signature_missing' });
  });

  it('refuses a tampered body, method or URL', () => {
    const signed = request(payload);
    expect(webhooks.verify({ ...signed, rawBody: Buffer.from(payload.replace('123', '124')) }, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.verify({ ...signed, method: 'PUT' }, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.verify({ ...signed, url: URL_.replace('https:', 'http:') }, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
    expect(webhooks.verify({ ...signed, url: `${URL_}/` }, SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('refuses a timestamp more than 5 minutes old (a replay) or ahead, and accepts one just inside', () => {
    expect(webhooks.verify(request(payload, { timestampMs: NOW.getTime() - 300_001 }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
    expect(webhooks.verify(request(payload, { timestampMs: NOW.getTime() + 300_001 }), SECRET, NOW)).toEqual({ ok: false, code: 'timestamp_outside_tolerance' });
    expect(webhooks.verify(request(payload, { timestampMs: NOW.getTime() - 299_000 }), SECRET, NOW)).toEqual({ ok: true });
  });

  it('refuses a timestamp that is not a number', () => {
    expect(webhooks.verify(request(payload, { headers: { 'x-hubspot-request-timestamp': 'abc' } }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });

  it('decodes the characters HubSpot lists in the URI before checking (and only those)', () => {
    const url = 'https://syncline.example.com/v1/webhooks/in/abc?tag=a%3Ab%2Fc%28d%29&space=x%20y';
    // HubSpot signs the URI with %3A %2F %28 %29 … decoded; %20 is not in its list and stays encoded.
    const decoded = 'https://syncline.example.com/v1/webhooks/in/abc?tag=a:b/c(d)&space=x%20y';
    expect(webhooks.verify(request(payload, { url, signedUri: decoded }), SECRET, NOW)).toEqual({ ok: true });
    expect(webhooks.verify(request(payload, { url, signedUri: url }), SECRET, NOW)).toEqual({ ok: false, code: 'signature_invalid' });
  });
});

describe('HubSpot webhooks: parse', () => {
  const parse = (raw: string) => webhooks.parse(request(raw));

  it('turns a batch of several objects\' events into one hint per object, deletions flagged', () => {
    const parsed = parse(
      body(
        event({ subscriptionType: 'contact.creation', objectId: 101, occurredAt: 1 }),
        event({ subscriptionType: 'contact.propertyChange', objectId: 101, propertyName: 'firstname', propertyValue: 'Ada', occurredAt: 2 }),
        event({ subscriptionType: 'company.propertyChange', objectId: 5000001, propertyName: 'name', propertyValue: 'Acme', occurredAt: 3 }),
        event({ subscriptionType: 'deal.deletion', objectId: 9000007, occurredAt: 4 }),
        event({ subscriptionType: 'contact.privacyDeletion', objectId: 102, occurredAt: 5 }),
      ),
    );
    expect(parsed.hints).toEqual([
      { collectionId: 'hubspot:contact', upstreamId: '101', deleted: false },
      { collectionId: 'hubspot:company', upstreamId: '5000001', deleted: false },
      { collectionId: 'hubspot:deal', upstreamId: '9000007', deleted: true },
      { collectionId: 'hubspot:contact', upstreamId: '102', deleted: true },
    ]);
  });

  it('lets an object\'s latest event decide, whatever the order in the batch', () => {
    const parsed = parse(body(event({ subscriptionType: 'contact.deletion', objectId: 7, occurredAt: 20 }), event({ subscriptionType: 'contact.propertyChange', objectId: 7, propertyName: 'phone', occurredAt: 10 })));
    expect(parsed.hints).toEqual([{ collectionId: 'hubspot:contact', upstreamId: '7', deleted: true }]);
  });

  it('reads the generic object.* events by their objectTypeId', () => {
    const parsed = parse(
      body(
        event({ subscriptionType: 'object.creation', objectTypeId: '0-1', objectId: 11 }),
        event({ subscriptionType: 'object.deletion', objectTypeId: '0-3', objectId: 12 }),
        event({ subscriptionType: 'object.propertyChange', objectTypeId: '0-2', objectId: 13, propertyName: 'domain' }),
        event({ subscriptionType: 'object.creation', objectTypeId: '0-5', objectId: 14 }),
      ),
    );
    expect(parsed.hints).toEqual([
      { collectionId: 'hubspot:contact', upstreamId: '11', deleted: false },
      { collectionId: 'hubspot:deal', upstreamId: '12', deleted: true },
      { collectionId: 'hubspot:company', upstreamId: '13', deleted: false },
    ]);
  });

  it('reads a merge as the kept object changed and the merged ones gone', () => {
    const parsed = parse(body(event({ subscriptionType: 'contact.merge', objectId: 30, primaryObjectId: 30, mergedObjectIds: [31, 32], newObjectId: 30 })));
    expect(parsed.hints).toEqual([
      { collectionId: 'hubspot:contact', upstreamId: '30', deleted: false },
      { collectionId: 'hubspot:contact', upstreamId: '31', deleted: true },
      { collectionId: 'hubspot:contact', upstreamId: '32', deleted: true },
    ]);
  });

  it('ignores event types of objects or actions the provider does not sync', () => {
    const parsed = parse(
      body(
        event({ subscriptionType: 'ticket.creation', objectId: 1 }),
        event({ subscriptionType: 'contact.associationChange', objectId: 2, fromObjectId: 2, toObjectId: 3 }),
        event({ subscriptionType: 'conversation.newMessage', objectId: 4 }),
      ),
    );
    expect(parsed.hints).toEqual([]);
  });

  it('names a delivery by its events, the same for a retry (another attemptNumber)', () => {
    const first = parse(body(event({ subscriptionType: 'contact.creation', objectId: 1, attemptNumber: 0 })));
    const retry = parse(body(event({ subscriptionType: 'contact.creation', objectId: 1, attemptNumber: 3 })));
    const other = parse(body(event({ subscriptionType: 'contact.creation', objectId: 2, attemptNumber: 0 })));
    expect(first.deliveryId).toMatch(/^hubspot:/);
    expect(retry.deliveryId).toBe(first.deliveryId);
    expect(other.deliveryId).not.toBe(first.deliveryId);
  });

  it('refuses a body that is not a JSON array of events, or an event without a usable object id', () => {
    expect(() => parse('{not json')).toThrow(WebhookMalformedError);
    expect(() => parse('{"subscriptionType":"contact.creation","objectId":1}')).toThrow(WebhookMalformedError);
    expect(() => parse('[1, 2]')).toThrow(WebhookMalformedError);
    expect(() => parse(body(event({ subscriptionType: 'contact.creation', objectId: 'abc' })))).toThrow(WebhookMalformedError);
    expect(() => parse(body(event({ objectId: 1 })))).toThrow(WebhookMalformedError);
  });

  it('takes the signing secret from the OAuth app of the credential, none from a private-app token', () => {
    const credential: ProviderCredential = { kind: 'hubspot_oauth2', accessToken: null, accessTokenExpiresAt: null, refreshToken: 'r', apiBaseUrl: null, metadata: {}, oauthApp: { clientId: 'id', clientSecret: 'app-secret' } };
    expect(webhooks.credentialSecret!(credential)).toBe('app-secret');
    expect(webhooks.credentialSecret!({ ...credential, kind: 'hubspot', accessToken: 'pat-x', oauthApp: null })).toBeNull();
    expect(webhooks.register).toBeUndefined();
    expect(webhooks.manualSetup).toMatch(/Target URL/);
  });
});
