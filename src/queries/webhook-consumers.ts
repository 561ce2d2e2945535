import type { AppContext, Principal } from '../app-context.ts';
import { findWebhookConsumer } from '../commands/webhook-consumers.ts';
import type { DeliverPolicy } from '../domain/consumer-selection.ts';
import type { WebhookConsumer } from '../generated/prisma/client.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

/** A webhook consumer as REST answers it: header values and the secret only as hints. */
export function presentWebhookConsumer(consumer: WebhookConsumer) {
  return {
    id: consumer.id,
    name: consumer.name,
    stream_id: consumer.streamId,
    sync_id: consumer.syncId,
    collection_ids: consumer.collectionIds.length > 0 ? consumer.collectionIds : null,
    provider: consumer.provider,
    url: consumer.url,
    headers: consumer.headerHints as Record<string, string>,
    secret_hint: consumer.secretHint,
    previous_secret_valid_until: consumer.previousSecretValidUntil?.toISOString() ?? null,
    batch_size: consumer.batchSize,
    timeout_ms: consumer.timeoutMs,
    max_deliver: consumer.maxDeliver,
    retry_window_ms: Number(consumer.retryWindowMs),
    max_in_flight: consumer.maxInFlight,
    deliver_policy: consumer.deliverPolicy as DeliverPolicy,
    opt_start_time: consumer.optStartTime?.toISOString() ?? null,
    opt_start_idx: consumer.optStartIdx === null ? null : Number(consumer.optStartIdx),
    reset_count: consumer.resetCount,
    created_at: consumer.createdAt.toISOString(),
    updated_at: consumer.updatedAt.toISOString(),
  };
}

export async function getWebhookConsumer(ctx: AppContext, principal: Principal, idOrName: string) {
  return presentWebhookConsumer(await findWebhookConsumer(ctx, principal, idOrName));
}

/** The create and rotate-secret answers: the consumer and its new signing secret, shown this once. */
export async function getWebhookConsumerWithSecret(ctx: AppContext, principal: Principal, issued: { id: string; secret: string }) {
  return { ...(await getWebhookConsumer(ctx, principal, issued.id)), secret: issued.secret };
}

export async function listWebhookConsumers(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.webhookConsumer.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  return toPage(rows, page, presentWebhookConsumer);
}
