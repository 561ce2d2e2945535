/**
 * A test-only ProviderWebhooks installed on the in-process server's Stripe provider object, for
 * the engine's own webhook tests before (and independently of) Stripe's real webhooks: a hex
 * HMAC-SHA256 of `<timestamp>.<body>` in `x-test-signature`, the timestamp in
 * `x-test-timestamp` (5 minutes' tolerance), a JSON body `{id, objects: [{id, deleted}]}` giving
 * hints for `stripe:customer`. Sessions get a `fetchObject` reading GET /v1/customers/{id} through
 * the session's (rate-limited) fetch. `restore()` puts the provider back as it was.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { requireProvider } from '../../src/sync/providers/registry.ts';
import {
  UpstreamRequestError,
  WebhookMalformedError,
  type Provider,
  type ProviderContext,
  type ProviderWebhooks,
  type UpstreamObject,
} from '../../src/sync/providers/provider.ts';

export const TEST_SIGNATURE_HEADER = 'x-test-signature';
export const TEST_TIMESTAMP_HEADER = 'x-test-timestamp';
const TOLERANCE_S = 300;

const sign = (secret: string, timestamp: number, body: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** A webhook naming `objects`, signed with `secret` at `timestamp` (seconds; default now). */
export function testWebhook(secret: string, objects: { id: string; deleted?: boolean }[], options: { deliveryId?: string; timestamp?: number } = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ id: options.deliveryId ?? `evt_${Math.random().toString(36).slice(2)}`, objects: objects.map((o) => ({ id: o.id, deleted: o.deleted ?? false })) });
  return { body, headers: { 'content-type': 'application/json', [TEST_SIGNATURE_HEADER]: sign(secret, timestamp, body), [TEST_TIMESTAMP_HEADER]: String(timestamp) } };
}

const testWebhooks: ProviderWebhooks = {
  verify(request, secret, now) {
    const signature = request.headers.get(TEST_SIGNATURE_HEADER);
    const timestamp = Number(request.headers.get(TEST_TIMESTAMP_HEADER));
    if (!signature || !Number.isFinite(timestamp)) return { ok: false, code: 'signature_missing' };
    const expected = Buffer.from(sign(secret, timestamp, request.rawBody.toString('utf8')), 'hex');
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, code: 'signature_invalid' };
    if (Math.abs(now.getTime() / 1000 - timestamp) > TOLERANCE_S) return { ok: false, code: 'timestamp_outside_tolerance' };
    return { ok: true };
  },
  parse(request) {
    let body: { id?: unknown; objects?: unknown };
    try {
      body = JSON.parse(request.rawBody.toString('utf8')) as typeof body;
    } catch {
      throw new WebhookMalformedError('not JSON');
    }
    if (typeof body?.id !== 'string' || !Array.isArray(body.objects)) throw new WebhookMalformedError('expected {id, objects: [...]}');
    return {
      deliveryId: body.id,
      hints: (body.objects as { id: string; deleted: boolean }[]).map((o) => ({ collectionId: 'stripe:customer', upstreamId: String(o.id), deleted: o.deleted === true })),
    };
  },
  manualSetup: 'Test webhooks: sign with the signing secret you give.',
};

async function fetchCustomer(context: ProviderContext, collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
  if (collectionId !== 'stripe:customer') throw new UpstreamRequestError(`test webhooks read only customers, not ${collectionId}`, 400, 'unsupported');
  const base = context.credential.apiBaseUrl ?? 'https://api.stripe.com';
  const answer = await context.fetch(`${base}/v1/customers/${encodeURIComponent(upstreamId)}`, { headers: { authorization: `Bearer ${context.credential.accessToken}` } });
  if (answer.status === 404) return null;
  if (!answer.ok) throw new UpstreamRequestError(`GET customer answered ${answer.status}`, answer.status, 'fetch_failed');
  const data = (await answer.json()) as Record<string, unknown>;
  if (data.deleted === true) return null;
  return { upstreamId, data, upstreamCreatedAt: typeof data.created === 'number' ? new Date(data.created * 1000) : null, upstreamUpdatedAt: null, deleted: false };
}

/**
 * A registration API kept in memory (the test's stand-in for an upstream one): every call is
 * logged, each registration gets a fresh secret, `lifetimeMs` makes them lapse, `failWith` makes
 * the next calls fail.
 */
export class TestRegistrations {
  readonly calls: { kind: 'register' | 'unregister'; url?: string; collectionIds?: string[]; previous?: string[] | null; externalIds?: string[] }[] = [];
  readonly live = new Map<string, { url: string; secret: string }>();
  lifetimeMs: number | null = null;
  failWith: string | null = null;
  private next = 1;

  webhooks(): Pick<ProviderWebhooks, 'register' | 'unregister'> {
    return {
      register: async (_context, { url, collectionIds, previous }) => {
        this.calls.push({ kind: 'register', url, collectionIds, previous: previous?.externalIds ?? null });
        if (this.failWith) throw new UpstreamRequestError(this.failWith, 400, 'refused');
        for (const id of previous?.externalIds ?? []) this.live.delete(id);
        const id = `we_test_${this.next++}`;
        const secret = `whsec_registered_${id}_0123456789`;
        this.live.set(id, { url, secret });
        return { externalIds: [id], secret, expiresAt: this.lifetimeMs === null ? null : new Date(Date.now() + this.lifetimeMs) };
      },
      unregister: async (_context, registered) => {
        this.calls.push({ kind: 'unregister', externalIds: registered.externalIds });
        for (const id of registered.externalIds) this.live.delete(id);
      },
    };
  }
}

/** Installs the test webhooks on the Stripe provider the in-process server uses (with `registrations`, a registration API too); answers how to undo it. */
export function installTestStripeWebhooks(registrations?: TestRegistrations): { provider: Provider; restore(): void } {
  const provider = requireProvider('stripe');
  const { connect, webhooks } = provider;
  provider.webhooks = registrations ? { ...testWebhooks, ...registrations.webhooks() } : testWebhooks;
  provider.connect = (context) => {
    const session = connect.call(provider, context);
    session.fetchObject = (collectionId, upstreamId) => fetchCustomer(context, collectionId, upstreamId);
    return session;
  };
  return {
    provider,
    restore() {
      provider.connect = connect;
      if (webhooks) provider.webhooks = webhooks;
      else delete provider.webhooks;
    },
  };
}
