import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { secretHint } from '../crypto/secret-box.ts';
import type { StartPosition } from '../domain/consumer-selection.ts';
import { webhookConsumerDecider } from '../domain/webhook-consumers/decide.ts';
import type { WebhookConsumerSettings } from '../domain/webhook-consumers/events.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { WebhookConsumer } from '../generated/prisma/client.ts';
import { isUuid } from '../ids.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';
import {
  messageInputFields,
  messageShapeOfInput,
  resolveSelection,
  resolveStartIdx,
  selectionInputFields,
  startPositionInputFields,
  startPositionOf,
  type ResetInput,
} from './consumer-selection.ts';
import { sinkConsumerCommandHandler } from './handle.ts';
import { checkHeaders, headersInput, headersPatchInput, normalizeHeaders, type Headers } from './webhook-headers.ts';
import { checkWebhookUrl, webhookUrlInput } from './webhook-url.ts';

const handleWebhookConsumer = sinkConsumerCommandHandler('webhook-consumer', webhookConsumerDecider);

const DAY_MS = 86_400_000;

const settingFields = {
  name: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9 _.:-]*$/, 'letters, digits, spaces, "_", "-", ":" and "." only'),
  url: webhookUrlInput,
  batchSize: z.number().int().min(1).max(1000),
  timeoutMs: z.number().int().min(1_000).max(120_000),
  maxDeliver: z.number().int().min(-1).max(1_000_000).refine((n) => n !== 0, 'max_deliver is -1 (retry forever) or at least 1'),
  retryWindowMs: z.number().int().min(60_000).max(30 * DAY_MS),
  maxInFlight: z.number().int().min(1).max(100),
};

/** `POST /v1/webhook-consumers` (DESIGN.md §7b). */
export const createWebhookConsumerInput = z
  .object({
    ...selectionInputFields,
    ...startPositionInputFields,
    ...messageInputFields,
    name: settingFields.name,
    url: settingFields.url,
    headers: headersInput.nullish(),
    batchSize: settingFields.batchSize.default(1),
    timeoutMs: settingFields.timeoutMs.default(30_000),
    maxDeliver: settingFields.maxDeliver.default(-1),
    retryWindowMs: settingFields.retryWindowMs.default(DAY_MS),
    maxInFlight: settingFields.maxInFlight.default(1),
  })
  .strict();
export type CreateWebhookConsumerInput = z.infer<typeof createWebhookConsumerInput>;

/** The selection and start position are fixed (a reset moves the start); `headers` merge, `null` removing one or all. */
export const updateWebhookConsumerInput = z
  .object({
    name: settingFields.name,
    url: settingFields.url,
    headers: headersPatchInput.nullable(),
    batchSize: settingFields.batchSize,
    timeoutMs: settingFields.timeoutMs,
    maxDeliver: settingFields.maxDeliver,
    retryWindowMs: settingFields.retryWindowMs,
    maxInFlight: settingFields.maxInFlight,
  })
  .partial()
  .strict();
export type UpdateWebhookConsumerInput = z.infer<typeof updateWebhookConsumerInput>;

/** `POST …/{id}/rotate-secret`: how long the replaced secret keeps signing beside the new one (0 for a leaked one). */
export const rotateWebhookSecretInput = z
  .object({
    previousSecretValidMs: z
      .number()
      .int()
      .min(0)
      .max(7 * DAY_MS)
      .default(DAY_MS)
      .meta({ description: 'the replaced secret keeps signing (a second signature) this long; 0: stop at once' }),
  })
  .strict();
export type RotateWebhookSecretInput = z.infer<typeof rotateWebhookSecretInput>;

/** A new signing secret: `whsec_` and the base64 of 24 random bytes (Standard Webhooks). */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

function sealedHeaders(ctx: AppContext, headers: Headers): Pick<WebhookConsumerSettings, 'headersSealed' | 'headerHints'> {
  checkHeaders(headers);
  return {
    headersSealed: ctx.secretBox.sealJson(headers),
    headerHints: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, secretHint(value)])),
  };
}

/** The headers of a consumer, in clear: for its writer only, never for an answer or a log. */
export function openWebhookHeaders(ctx: AppContext, consumer: Pick<WebhookConsumer, 'headersEncrypted'>): Headers {
  return ctx.secretBox.openJson(consumer.headersEncrypted);
}

/** By id, or by name (as the HTTP consumers' routes take either). */
export async function findWebhookConsumer(ctx: AppContext, principal: Principal, idOrName: string): Promise<WebhookConsumer> {
  const where = isUuid(idOrName) ? { id: idOrName.toLowerCase() } : { name: idOrName };
  const consumer = idOrName.includes('\u0000') ? null : await ctx.prisma.webhookConsumer.findFirst({ where: { ...where, accountId: principal.accountId } });
  if (!consumer) throw new NotFoundError('webhook consumer', idOrName);
  return consumer;
}

async function assertNameFree(ctx: AppContext, principal: Principal, name: string): Promise<void> {
  const taken = await ctx.prisma.webhookConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name } } });
  if (taken) throw new ConflictError('consumer_name_taken', `a webhook consumer named "${name}" already exists`);
}

/** The new consumer's id and its signing secret, which exists in clear only in this answer. */
export async function createWebhookConsumer(ctx: AppContext, principal: Principal, input: CreateWebhookConsumerInput): Promise<{ id: string; secret: string }> {
  const start = startPositionOf(input);
  const shape = messageShapeOfInput(input);
  const headers = normalizeHeaders(input.headers ?? {}) as Headers;
  checkHeaders(headers);
  const url = await checkWebhookUrl(ctx.config, input.url);
  const selection = await resolveSelection(ctx, principal, input);
  await assertNameFree(ctx, principal, input.name);
  await assertQuotaRoom(ctx, principal, 'consumers');
  const startIdx = await resolveStartIdx(ctx, selection.streamId, start);
  const secret = newWebhookSecret();
  const consumerId = ctx.newId();
  await createWithinQuota(ctx, principal, 'consumers', () =>
    handleWebhookConsumer(ctx, consumerId, {
      type: 'CreateWebhookConsumer',
      data: {
        consumerId,
        accountId: principal.accountId,
        ...selection,
        name: input.name,
        url,
        ...sealedHeaders(ctx, headers),
        batchSize: input.batchSize,
        timeoutMs: input.timeoutMs,
        maxDeliver: input.maxDeliver,
        retryWindowMs: input.retryWindowMs,
        maxInFlight: input.maxInFlight,
        secretSealed: ctx.secretBox.seal(secret),
        secretHint: secretHint(secret),
        start,
        startIdx: String(startIdx),
        ...shape,
      },
      metadata: { now: ctx.now() },
    }),
  );
  return { id: consumerId, secret };
}

/** The stored headers with the patch applied: a name given with a value sets it, with null removes it; `null` for all removes every one. */
function patchedHeaders(stored: Headers, patch: UpdateWebhookConsumerInput['headers']): Headers {
  if (patch === undefined) return stored;
  if (patch === null) return {};
  const merged: Record<string, string | null> = { ...stored, ...normalizeHeaders(patch) };
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null));
}

export async function updateWebhookConsumer(ctx: AppContext, principal: Principal, idOrName: string, patch: UpdateWebhookConsumerInput): Promise<string> {
  const current = await findWebhookConsumer(ctx, principal, idOrName);
  if (patch.name && patch.name !== current.name) await assertNameFree(ctx, principal, patch.name);
  const headers = patchedHeaders(openWebhookHeaders(ctx, current), patch.headers);
  const url = patch.url === undefined ? current.url : await checkWebhookUrl(ctx.config, patch.url);
  await handleWebhookConsumer(ctx, current.id, {
    type: 'UpdateWebhookConsumer',
    data: {
      consumerId: current.id,
      accountId: principal.accountId,
      name: patch.name ?? current.name,
      url,
      ...sealedHeaders(ctx, headers),
      batchSize: patch.batchSize ?? current.batchSize,
      timeoutMs: patch.timeoutMs ?? current.timeoutMs,
      maxDeliver: patch.maxDeliver ?? current.maxDeliver,
      retryWindowMs: patch.retryWindowMs ?? Number(current.retryWindowMs),
      maxInFlight: patch.maxInFlight ?? current.maxInFlight,
    },
    metadata: { now: ctx.now() },
  });
  return current.id;
}

/** A new signing secret, returned in clear this once; the replaced one keeps signing for the grace period asked. */
export async function rotateWebhookConsumerSecret(
  ctx: AppContext,
  principal: Principal,
  idOrName: string,
  input: RotateWebhookSecretInput,
): Promise<{ id: string; secret: string }> {
  const current = await findWebhookConsumer(ctx, principal, idOrName);
  const secret = newWebhookSecret();
  await handleWebhookConsumer(ctx, current.id, {
    type: 'RotateWebhookConsumerSecret',
    data: {
      consumerId: current.id,
      accountId: principal.accountId,
      secretSealed: ctx.secretBox.seal(secret),
      secretHint: secretHint(secret),
      previousValidMs: input.previousSecretValidMs,
    },
    metadata: { now: ctx.now() },
  });
  return { id: current.id, secret };
}

/** Delivery starts again at the position given (back or ahead); the runner moves there. */
export async function resetWebhookConsumer(ctx: AppContext, principal: Principal, idOrName: string, input: ResetInput): Promise<string> {
  const current = await findWebhookConsumer(ctx, principal, idOrName);
  const start: StartPosition = startPositionOf(input);
  const startIdx = await resolveStartIdx(ctx, current.streamId, start);
  await handleWebhookConsumer(ctx, current.id, {
    type: 'ResetWebhookConsumer',
    data: { consumerId: current.id, accountId: principal.accountId, start, startIdx: String(startIdx) },
    metadata: { now: ctx.now() },
  });
  return current.id;
}

export async function deleteWebhookConsumer(ctx: AppContext, principal: Principal, idOrName: string): Promise<void> {
  const current = await findWebhookConsumer(ctx, principal, idOrName);
  await handleWebhookConsumer(ctx, current.id, {
    type: 'DeleteWebhookConsumer',
    data: { consumerId: current.id, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}
