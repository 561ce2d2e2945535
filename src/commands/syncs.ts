import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { z } from 'zod';
import { logSyncStateChange } from './sync-state-log.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { credentialKinds } from '../domain/credentials/kinds.ts';
import type { RateLimit, SyncSettings, WebhookSettings } from '../domain/syncs/events.ts';
import type { Sync } from '../generated/prisma/client.ts';
import { ExternalIdTakenError, progressEvent, syncDecider, type ProgressCommand, type SyncCommand } from '../domain/syncs/decide.ts';
import { AppError, NotFoundError, UnprocessableError, ValidationError, type ErrorDetail } from '../errors.ts';
import { requireProvider } from '../sync/providers/registry.ts';
import type { Provider } from '../sync/providers/provider.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { addCredential, credentialInput } from './credentials.ts';
import { commandHandler } from './handle.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';
import { checkPollInterval, pollIntervalOrDefault } from './poll-interval.ts';
import { createStream } from './streams.ts';
import { externalId } from './sync-external-id.ts';
import { syncVisibleTo } from '../queries/sync-scope.ts';
import { forgetDeletedSyncWebhooks } from '../sync/webhooks/deleted-sync.ts';

const handleSyncCommand = commandHandler('sync', syncDecider);

const progressAppends = new KeyedQueue();

/**
 * Appends a run's checkpoint to the sync's stream without loading it (`progressEvent`); a stale
 * run gets `StaleRunError` from the projection and nothing is appended.
 */
export async function recordSyncProgress(ctx: AppContext, command: ProgressCommand): Promise<void> {
  // The collections of a sync checkpoint concurrently; Emmett refuses concurrent appends to one
  // stream, so they take turns (per process; across processes the append is retried).
  await progressAppends.run(command.data.syncId, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        const event = progressEvent(command);
        await ctx.eventStore.appendToStream(`sync-${command.data.syncId}`, [event]);
        logSyncStateChange(ctx.logger, event);
        return;
      } catch (error) {
        if (!isExpectedVersionConflictError(error) || attempt >= 5) throw error;
      }
    }
  });
  ctx.bus.publish({ channel: 'sync', syncId: command.data.syncId });
}

/** Runs a sync command and tells live listeners (scheduler, subscriptions) that the sync changed. */
export async function handleSync(ctx: AppContext, command: SyncCommand): Promise<void> {
  const events = await handleSyncCommand(ctx.eventStore, command.data.syncId, command);
  for (const event of events) logSyncStateChange(ctx.logger, event);
  if (events.length > 0) ctx.bus.publish({ channel: 'sync', syncId: command.data.syncId });
}

const rateLimitInput = z
  .object({
    allowedRequests: z.number().int().positive().max(1_000_000),
    /** seconds */
    interval: z.number().positive().max(86_400),
    maxConcurrentRequests: z.number().int().min(0).max(10_000).default(0),
  })
  .strict();

/** The seed's inline form: `credential: {properties: {kind, secret, name, oauth_app_id}}` in REST. */
const inlineCredential = z.object({ properties: credentialInput }).strict();

/** `webhooks` of a create (docs/PROVIDER-WEBHOOKS.md); `signingSecret` is write-only, sealed before it enters an event. */
const webhookFields = {
  enabled: z.boolean(),
  signingSecret: z.string().min(1).max(1_000),
  reconcileIntervalMs: z.number().int().min(1_000).max(7 * 86_400_000),
};
const createWebhooksInput = z
  .object({ enabled: webhookFields.enabled.default(false), signingSecret: webhookFields.signingSecret.nullish(), reconcileIntervalMs: webhookFields.reconcileIntervalMs.nullish() })
  .strict();
/** Fields left out keep their value; `null` clears the secret or the reconcile interval. */
const updateWebhooksInput = z
  .object({ enabled: webhookFields.enabled, signingSecret: webhookFields.signingSecret.nullable(), reconcileIntervalMs: webhookFields.reconcileIntervalMs.nullable() })
  .partial()
  .strict();

const syncFields = {
  name: z.string().trim().min(1).max(200),
  collectionIds: z.array(z.string().min(1).max(100)).min(1).max(100),
  rateLimit: rateLimitInput,
  credentialId: z.string().uuid(),
  credential: inlineCredential,
  metadata: z.record(z.string(), z.unknown()),
  pollIntervalMs: z.number().int().min(100).max(86_400_000),
  externalId,
};

export const createSyncInput = z
  .object({
    provider: z.string().min(1).max(50),
    streamId: z.string().uuid().nullish(),
    name: syncFields.name.nullish(),
    collectionIds: syncFields.collectionIds,
    rateLimit: syncFields.rateLimit.nullish(),
    credentialId: syncFields.credentialId.nullish(),
    credential: syncFields.credential.nullish(),
    metadata: syncFields.metadata.default({}),
    pollIntervalMs: syncFields.pollIntervalMs.optional(),
    externalId: syncFields.externalId.nullish(),
    webhooks: createWebhooksInput.nullish(),
  })
  .strict();
export type CreateSyncInput = z.infer<typeof createSyncInput>;

export const updateSyncInput = z
  .object({
    name: syncFields.name,
    collectionIds: syncFields.collectionIds,
    rateLimit: syncFields.rateLimit,
    credentialId: syncFields.credentialId,
    metadata: syncFields.metadata,
    pollIntervalMs: syncFields.pollIntervalMs,
    /** null clears it. */
    externalId: syncFields.externalId.nullable(),
    webhooks: updateWebhooksInput,
  })
  .partial()
  .strict();
export type UpdateSyncInput = z.infer<typeof updateSyncInput>;

const toRateLimit = (input: z.infer<typeof rateLimitInput>): RateLimit => ({
  allowedRequests: input.allowedRequests,
  intervalSeconds: input.interval,
  maxConcurrentRequests: input.maxConcurrentRequests,
});

function checkCollections(provider: Provider, collectionIds: string[]): void {
  const known = new Set(provider.collections.map((c) => c.id));
  const unknown: ErrorDetail[] = collectionIds
    .map((id, i) => ({ id, i }))
    .filter(({ id }) => !known.has(id))
    .map(({ id, i }) => ({ path: `collectionIds.${i}`, message: `unknown collection "${id}" for ${provider.name}; known: ${[...known].join(', ')}` }));
  if (unknown.length > 0) throw new UnprocessableError('unknown_collection', 'unknown collection', unknown);
  if (new Set(collectionIds).size !== collectionIds.length) throw new ValidationError('collection_ids has duplicates');
}

type WebhooksPatch = z.infer<typeof updateWebhooksInput>;

/**
 * The sync's webhook settings after `patch` (the secret sealed): refused for a provider that
 * sends no webhooks, and for a reconcile interval shorter than the poll interval.
 */
function webhookSettings(ctx: AppContext, provider: Provider, current: WebhookSettings | null, patch: WebhooksPatch | null | undefined, pollIntervalMs: number): WebhookSettings | undefined {
  if (!patch) return current ?? undefined;
  const next: WebhookSettings = {
    enabled: patch.enabled ?? current?.enabled ?? false,
    signingSecretSealed:
      patch.signingSecret === undefined ? (current?.signingSecretSealed ?? null) : patch.signingSecret === null ? null : ctx.secretBox.seal(patch.signingSecret),
    reconcileIntervalMs: patch.reconcileIntervalMs === undefined ? (current?.reconcileIntervalMs ?? null) : patch.reconcileIntervalMs,
  };
  if (next.enabled && !provider.webhooks) {
    throw new UnprocessableError('webhooks_not_supported', `${provider.displayName} sends no signed webhooks: its syncs poll (docs/PROVIDER-WEBHOOKS.md)`, [
      { path: 'webhooks.enabled', message: 'not supported by this provider' },
    ]);
  }
  if (next.reconcileIntervalMs !== null && next.reconcileIntervalMs < pollIntervalMs) {
    throw new AppError('validation_failed', 'webhooks.reconcile_interval_ms must be at least the poll interval', 422, [
      { path: 'webhooks.reconcileIntervalMs', message: `at least poll_interval_ms (${pollIntervalMs})` },
    ]);
  }
  return next;
}

/** A sync's stored webhook settings (the projection's columns). */
export const storedWebhookSettings = (sync: Sync): WebhookSettings => ({
  enabled: sync.webhooksEnabled,
  signingSecretSealed: sync.webhookSigningSecretSealed,
  reconcileIntervalMs: sync.webhookReconcileIntervalMs,
});

async function checkCredential(ctx: AppContext, principal: Principal, provider: Provider, credentialId: string): Promise<void> {
  const credential = await ctx.prisma.credential.findFirst({ where: { id: credentialId, accountId: principal.accountId } });
  if (!credential) {
    throw new UnprocessableError('credential_not_found', `credential ${credentialId} not found`, [{ path: 'credentialId', message: 'not found' }]);
  }
  if (credentialKinds[credential.kind]?.provider !== provider.name || !provider.credentialKinds.includes(credential.kind)) {
    throw new UnprocessableError('credential_provider_mismatch', `a ${credential.kind} credential cannot be used for ${provider.name}`, [
      { path: 'credentialId', message: `expected one of: ${provider.credentialKinds.join(', ')}` },
    ]);
  }
}

/**
 * Refuses an `externalId` another sync of the account holds, before a create does work it would
 * have to undo (an inline credential, a stream). Two writes that race both pass here: the syncs
 * projection's unique index refuses the second one the same way.
 */
async function assertExternalIdFree(ctx: AppContext, accountId: string, externalId: string | null | undefined, syncId?: string): Promise<void> {
  if (externalId === null || externalId === undefined) return;
  const taken = await ctx.prisma.sync.findFirst({ where: { accountId, externalId, ...(syncId ? { NOT: { id: syncId } } : {}) }, select: { id: true } });
  if (taken) throw new ExternalIdTakenError(externalId);
}

/** The stream named, or the account's first stream, created as `default` when there is none. */
async function resolveStream(ctx: AppContext, principal: Principal, streamId: string | null | undefined): Promise<string> {
  if (streamId) {
    const stream = await ctx.prisma.stream.findFirst({ where: { id: streamId, accountId: principal.accountId } });
    if (!stream) throw new UnprocessableError('stream_not_found', `stream ${streamId} not found`, [{ path: 'streamId', message: 'not found' }]);
    return stream.id;
  }
  const first = await ctx.prisma.stream.findFirst({ where: { accountId: principal.accountId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  if (first) return first.id;
  return createStream(ctx, principal, { name: 'default' });
}

export async function createSync(ctx: AppContext, principal: Principal, input: CreateSyncInput): Promise<string> {
  const provider = requireProvider(input.provider);
  checkCollections(provider, input.collectionIds);
  checkPollInterval(ctx.config, input.pollIntervalMs);
  const pollIntervalMs = pollIntervalOrDefault(ctx.config, input.pollIntervalMs);
  const webhooks = webhookSettings(ctx, provider, null, input.webhooks, pollIntervalMs);
  await assertQuotaRoom(ctx, principal, 'syncs');
  await assertExternalIdFree(ctx, principal.accountId, input.externalId);
  if (!input.credentialId === !input.credential) {
    throw new UnprocessableError('credential_required', 'give exactly one of credential_id or credential', [
      { path: 'credentialId', message: 'required (or an inline credential)' },
    ]);
  }
  if (input.credential && credentialKinds[input.credential.properties.kind]?.provider !== provider.name) {
    throw new UnprocessableError('credential_provider_mismatch', `a ${input.credential.properties.kind} credential cannot be used for ${provider.name}`);
  }
  const streamId = await resolveStream(ctx, principal, input.streamId);
  let credentialId = input.credentialId ?? null;
  if (credentialId) await checkCredential(ctx, principal, provider, credentialId);
  else credentialId = await addCredential(ctx, principal, input.credential!.properties);

  const syncId = ctx.newId();
  const settings: SyncSettings = {
    name: input.name ?? `${provider.name} sync`,
    collectionIds: input.collectionIds,
    rateLimit: input.rateLimit ? toRateLimit(input.rateLimit) : provider.defaultRateLimit,
    credentialId,
    metadata: input.metadata,
    pollIntervalMs,
    externalId: input.externalId ?? null,
    ...(webhooks ? { webhooks } : {}),
  };
  await createWithinQuota(ctx, principal, 'syncs', () =>
    handleSync(ctx, {
      type: 'CreateSync',
      data: { syncId, accountId: principal.accountId, streamId, provider: provider.name, ...settings },
      metadata: { now: ctx.now() },
    }),
  );
  return syncId;
}

async function loadSync(ctx: AppContext, principal: Principal, syncId: string) {
  const sync = await ctx.prisma.sync.findFirst({ where: { id: syncId, accountId: principal.accountId } });
  if (!sync) throw new NotFoundError('sync', syncId);
  return sync;
}

export async function updateSync(ctx: AppContext, principal: Principal, syncId: string, patch: UpdateSyncInput): Promise<void> {
  const sync = await loadSync(ctx, principal, syncId);
  const provider = requireProvider(sync.provider);
  if (patch.collectionIds) checkCollections(provider, patch.collectionIds);
  checkPollInterval(ctx.config, patch.pollIntervalMs);
  if (patch.credentialId) await checkCredential(ctx, principal, provider, patch.credentialId);
  await assertExternalIdFree(ctx, principal.accountId, patch.externalId, syncId);
  const pollIntervalMs = patch.pollIntervalMs ?? sync.pollIntervalMs;
  const webhooks = webhookSettings(ctx, provider, storedWebhookSettings(sync), patch.webhooks ?? (patch.pollIntervalMs ? {} : undefined), pollIntervalMs);
  await handleSync(ctx, {
    type: 'UpdateSync',
    data: {
      syncId,
      accountId: principal.accountId,
      name: patch.name ?? sync.name,
      collectionIds: patch.collectionIds ?? sync.collectionIds,
      rateLimit: patch.rateLimit ? toRateLimit(patch.rateLimit) : (sync.rateLimit as RateLimit),
      credentialId: patch.credentialId ?? sync.credentialId,
      metadata: patch.metadata ?? (sync.metadata as Record<string, unknown>),
      pollIntervalMs,
      externalId: patch.externalId === undefined ? sync.externalId : patch.externalId,
      ...(webhooks ? { webhooks } : {}),
    },
    metadata: { now: ctx.now() },
  });
}

type LifecycleCommand = 'PauseSync' | 'ResumeSync' | 'ResyncSync' | 'DeleteSync';

/** What the root token may do to any account's sync (the operator override, queries/sync-scope.ts). */
const OPERATOR_COMMANDS = new Set<LifecycleCommand>(['PauseSync', 'ResumeSync']);

export async function changeSyncLifecycle(ctx: AppContext, principal: Principal, syncId: string, type: LifecycleCommand): Promise<void> {
  const operator = principal.isRoot && OPERATOR_COMMANDS.has(type);
  const sync = operator ? await ctx.prisma.sync.findFirst({ where: syncVisibleTo(principal, syncId) }) : await loadSync(ctx, principal, syncId);
  if (!sync) throw new NotFoundError('sync', syncId);
  if (sync.accountId !== principal.accountId) ctx.logger.warn({ syncId, accountId: sync.accountId, tokenId: principal.tokenId, command: type }, 'operator override: root changed another account\'s sync');
  await handleSync(ctx, { type, data: { syncId, accountId: sync.accountId }, metadata: { now: ctx.now() } });
  if (type === 'DeleteSync') await forgetDeletedSyncWebhooks(ctx, sync);
}
