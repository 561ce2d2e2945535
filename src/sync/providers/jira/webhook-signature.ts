/**
 * How Jira Cloud authenticates its webhook deliveries (no official verifying library exists):
 * - admin webhooks saved with a secret (`POST /rest/webhooks/1.0/webhook` or the admin page):
 *   `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with the secret>` (WebSub's
 *   `method=signature`; no timestamp, so no tolerance applies);
 * - dynamic webhooks of OAuth 2.0 apps (`POST /rest/api/3/webhook`): `Authorization: Bearer <JWT>`,
 *   HS256 with the app's client secret, carrying `iat` / `exp`. The JWT does not cover the body:
 *   it proves the sender holds the secret, and a webhook is only a hint that is read again.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRejection, WebhookRequest } from '../provider.ts';

/** Clock skew allowed around a JWT's `iat` / `exp`. */
export const JWT_LEEWAY_SECONDS = 120;

type Verdict = { ok: true } | { ok: false; code: WebhookRejection };

const INVALID: Verdict = { ok: false, code: 'signature_invalid' };

export function verifyJiraWebhook(request: WebhookRequest, secret: string, now: Date): Verdict {
  if (secret === '') return INVALID;
  const hub = request.headers.get('x-hub-signature');
  if (hub !== null) return verifyHubSignature(hub, request.rawBody, secret);
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
  if (bearer) return verifyAppJwt(bearer[1] as string, secret, now);
  return { ok: false, code: 'signature_missing' };
}

function verifyHubSignature(header: string, body: Buffer, secret: string): Verdict {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return INVALID;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(match[1] as string, 'hex')) ? { ok: true } : INVALID;
}

function verifyAppJwt(token: string, secret: string, now: Date): Verdict {
  const parts = token.split('.');
  if (parts.length !== 3) return INVALID;
  const [header, payload, signature] = parts as [string, string, string];
  const head = decodeSegment(header);
  // Only HS256: a token naming another algorithm (or `none`) is never checked with the secret.
  if (!head || head.alg !== 'HS256') return INVALID;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(expected, given)) return INVALID;
  const claims = decodeSegment(payload);
  if (!claims || typeof claims.exp !== 'number') return INVALID;
  const seconds = now.getTime() / 1000;
  if (seconds > claims.exp + JWT_LEEWAY_SECONDS) return { ok: false, code: 'timestamp_outside_tolerance' };
  if (typeof claims.iat === 'number' && claims.iat > seconds + JWT_LEEWAY_SECONDS) return { ok: false, code: 'timestamp_outside_tolerance' };
  return { ok: true };
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
