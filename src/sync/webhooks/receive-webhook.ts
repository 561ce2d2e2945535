import type { AppContext } from '../../app-context.ts';
import { AppError, BadRequestError, PayloadTooLargeError } from '../../errors.ts';
import { isUuid } from '../../ids.ts';
import { inTransaction } from '../../db/raw-append.ts';
import { loadProviderCredential } from '../provider-credential.ts';
import { WebhookMalformedError, type ParsedWebhook, type Provider, type ProviderWebhooks, type RegisteredWebhook, type WebhookRejection, type WebhookRequest } from '../providers/provider.ts';
import { findProvider } from '../providers/registry.ts';
import { countWebhooks, firstDelivery, storeHints } from './hint-store.ts';
import { storedRegistration } from './webhook-state.ts';

/** The request as the receiving route hands it over: the body is read here, under the sync's limit. */
export interface IncomingWebhook {
  method: string;
  /** Path and query as sent. */
  target: string;
  headers: Headers;
  readBody(limitBytes: number): Promise<Buffer>;
}

export type WebhookAnswer = { status: 200; body: { received: true; ignored?: 'sync_paused' } } | { status: number; reply: NonNullable<ParsedWebhook['reply']> };

export class WebhookSyncNotFoundError extends AppError {
  constructor(syncId: string) {
    super('sync_not_found', `no sync ${syncId} with webhooks enabled`, 404);
  }
}

export class WebhookRejectedError extends AppError {
  constructor(code: WebhookRejection) {
    const messages: Record<WebhookRejection, string> = {
      signature_missing: 'the webhook carries no signature',
      signature_invalid: 'the webhook signature does not match',
      timestamp_outside_tolerance: "the webhook's signed timestamp is outside the tolerance (a replay?)",
    };
    super(`webhook_${code}`, messages[code], 401);
  }
}

/**
 * `POST /v1/webhooks/in/{sync_id}` (docs/PROVIDER-WEBHOOKS.md, "Receiving"): the sync's provider
 * verifies the raw body against each secret the sync has, then turns it into hints, which are
 * stored coalesced per object for the sync's runner, told through the live bus. Nothing the body
 * says is written as data. Refusals are 4xx with a code, counted in the sync's status.
 */
export async function receiveProviderWebhook(ctx: AppContext, syncId: string, incoming: IncomingWebhook): Promise<WebhookAnswer> {
  const found = isUuid(syncId) ? await ctx.prisma.sync.findUnique({ where: { id: syncId.toLowerCase() } }) : null;
  const provider = found ? findProvider(found.provider) : undefined;
  if (!found || !found.webhooksEnabled || !provider?.webhooks) throw new WebhookSyncNotFoundError(syncId);
  const sync = found;
  const webhooks = provider.webhooks;

  const refuse = async (error: Error): Promise<never> => {
    await countWebhooks(ctx.pool, sync.id, { received: 1, rejected: 1 });
    throw error;
  };
  let rawBody: Buffer;
  try {
    rawBody = await incoming.readBody(ctx.config.SYNCLINE_MAX_WEBHOOK_BODY_BYTES);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return refuse(error);
    throw error;
  }
  const request: WebhookRequest = { method: incoming.method, url: requestUrl(ctx, incoming), headers: incoming.headers, rawBody };

  const verdict = verifyWithAny(webhooks, request, await candidateSecrets(ctx, sync, provider), ctx.now());
  if (verdict !== 'ok') return refuse(new WebhookRejectedError(verdict));

  let parsed: ParsedWebhook;
  try {
    parsed = webhooks.parse(request);
  } catch (error) {
    if (!(error instanceof WebhookMalformedError)) ctx.logger.warn({ err: error, syncId: sync.id, provider: provider.name }, 'provider webhook parse failed');
    return refuse(new BadRequestError('webhook_malformed', error instanceof WebhookMalformedError ? error.message : 'the webhook body cannot be read'));
  }
  const answer = (): WebhookAnswer => (parsed.reply ? { status: parsed.reply.status, reply: parsed.reply } : { status: 200, body: { received: true } });

  if (sync.paused) {
    await countWebhooks(ctx.pool, sync.id, { received: 1, verified: 1 });
    return { status: 200, body: { received: true, ignored: 'sync_paused' } };
  }
  const held = new Set(sync.collectionIds);
  const hints = parsed.hints.filter((hint) => held.has(hint.collectionId) && hint.upstreamId.length > 0);
  const stored = await inTransaction(ctx.pool, async (db) => {
    if (parsed.deliveryId !== null && !(await firstDelivery(db, sync.id, parsed.deliveryId))) {
      await countWebhooks(db, sync.id, { received: 1, verified: 1, duplicates: 1 });
      return 0;
    }
    await storeHints(db, sync.id, hints);
    await countWebhooks(db, sync.id, { received: 1, verified: 1 });
    return hints.length;
  });
  if (stored > 0) ctx.bus.publish({ channel: 'webhook-hints', syncId: sync.id });
  return answer();
}

/** The URL the provider called: SYNCLINE_PUBLIC_URL + the target when set, else as the Host header names it. */
function requestUrl(ctx: AppContext, incoming: IncomingWebhook): string {
  if (ctx.config.SYNCLINE_PUBLIC_URL) return `${ctx.config.SYNCLINE_PUBLIC_URL}${incoming.target}`;
  const proto = incoming.headers.get('x-forwarded-proto') === 'https' ? 'https' : 'http';
  return `${proto}://${incoming.headers.get('host') ?? 'localhost'}${incoming.target}`;
}

type SyncSecrets = { webhookSigningSecretSealed: string | null; webhookRegistration: unknown; credentialId: string };

/** Every secret the sync's deliveries may be signed with: the one given, the registration's, the credential's app secret. */
async function candidateSecrets(ctx: AppContext, sync: SyncSecrets, provider: Provider): Promise<string[]> {
  const secrets: string[] = [];
  const open = (sealed: string): string | null => {
    try {
      return ctx.secretBox.open(sealed);
    } catch {
      return null;
    }
  };
  if (sync.webhookSigningSecretSealed) secrets.push(open(sync.webhookSigningSecretSealed) ?? '');
  const registration = storedRegistration(sync as Parameters<typeof storedRegistration>[0]);
  if (registration?.registrationSealed) {
    const opened = open(registration.registrationSealed);
    if (opened) secrets.push((JSON.parse(opened) as RegisteredWebhook).secret);
  }
  if (provider.webhooks?.credentialSecret) {
    const credential = await loadProviderCredential(ctx, sync.credentialId);
    const secret = credential ? provider.webhooks.credentialSecret(credential) : null;
    if (secret) secrets.push(secret);
  }
  return [...new Set(secrets.filter((s) => s.length > 0))];
}

/** 'ok' when one secret verifies; else the most telling refusal (a valid signature too old beats a mismatch). */
function verifyWithAny(webhooks: ProviderWebhooks, request: WebhookRequest, secrets: readonly string[], now: Date): 'ok' | WebhookRejection {
  if (secrets.length === 0) return 'signature_invalid';
  const refusals = new Set<WebhookRejection>();
  for (const secret of secrets) {
    let verdict: ReturnType<ProviderWebhooks['verify']>;
    try {
      verdict = webhooks.verify(request, secret, now);
    } catch {
      verdict = { ok: false, code: 'signature_invalid' };
    }
    if (verdict.ok) return 'ok';
    refusals.add(verdict.code);
  }
  if (refusals.has('timestamp_outside_tolerance')) return 'timestamp_outside_tolerance';
  if (refusals.has('signature_invalid')) return 'signature_invalid';
  return 'signature_missing';
}
