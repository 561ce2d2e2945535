/**
 * Zendesk's webhook signature (developer.zendesk.com/documentation/webhooks/verifying):
 * `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(signing secret, X-Zendesk-Webhook-Signature-Timestamp + raw body)),
 * the timestamp an ISO 8601 time (`2021-03-25T05:09:27Z`). Zendesk ships no verification library.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRejection, WebhookRequest } from '../provider.ts';

export const ZENDESK_SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const ZENDESK_TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';

/**
 * Zendesk documents no replay window; the timestamp is signed, so Syncline holds it to 5 minutes
 * either way (as Stripe and HubSpot do): Zendesk signs each attempt afresh, so a retry is never
 * refused for its age, and a captured delivery cannot be replayed later.
 */
export const ZENDESK_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

/**
 * `secret` is one signing secret, or several separated by whitespace: a registration of tickets
 * and of users/organizations is two Zendesk webhooks with a secret each (Zendesk secrets are
 * base64, never containing whitespace).
 */
export function zendeskSecrets(secret: string): string[] {
  return secret.split(/\s+/).filter((part) => part !== '');
}

export function verifyZendeskSignature(request: WebhookRequest, secret: string, now: Date): { ok: true } | { ok: false; code: WebhookRejection } {
  const signature = request.headers.get(ZENDESK_SIGNATURE_HEADER)?.trim();
  const timestamp = request.headers.get(ZENDESK_TIMESTAMP_HEADER)?.trim();
  if (!signature || !timestamp) return { ok: false, code: 'signature_missing' };
  const given = Buffer.from(signature);
  const matches = zendeskSecrets(secret).some((key) => {
    const expected = Buffer.from(createHmac('sha256', key).update(timestamp).update(request.rawBody).digest('base64'));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!matches) return { ok: false, code: 'signature_invalid' };
  const signedAt = timestampMs(timestamp);
  if (signedAt === null || Math.abs(now.getTime() - signedAt) > ZENDESK_SIGNATURE_TOLERANCE_MS) return { ok: false, code: 'timestamp_outside_tolerance' };
  return { ok: true };
}

/** Zendesk's ISO 8601 timestamp (unix seconds accepted too); null when it is neither. */
function timestampMs(timestamp: string): number | null {
  if (/^\d+$/.test(timestamp)) return Number(timestamp) * 1000;
  const ms = Date.parse(timestamp);
  return Number.isFinite(ms) ? ms : null;
}
