import type { AppContext, Principal } from '../app-context.ts';
import { findWebhookConsumer } from '../commands/webhook-consumers.ts';
import { listSinkDeadLetters } from '../consumers/sinks/dead-letters.ts';
import { listSinkDeliveries } from '../consumers/sinks/deliveries.ts';
import { sinkStatusInputOf } from '../consumers/sinks/consumer-row.ts';
import { sinkStatuses, type SinkStatus } from '../consumers/sinks/status.ts';
import type { DeliverPolicy } from '../domain/consumer-selection.ts';
import type { WebhookConsumer } from '../generated/prisma/client.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';
import { presentMessageShape } from './message-shape.ts';
import { presentDeadLetter, presentDeliveryAttempt, presentSinkStatus } from './sink-logs.ts';

/** A webhook consumer as REST answers it: header values and the secret only as hints; its runner's status. */
export function presentWebhookConsumer(consumer: WebhookConsumer, status: SinkStatus) {
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
    ...presentMessageShape(consumer),
    deliver_policy: consumer.deliverPolicy as DeliverPolicy,
    opt_start_time: consumer.optStartTime?.toISOString() ?? null,
    opt_start_idx: consumer.optStartIdx === null ? null : Number(consumer.optStartIdx),
    reset_count: consumer.resetCount,
    ...presentSinkStatus(status),
    created_at: consumer.createdAt.toISOString(),
    updated_at: consumer.updatedAt.toISOString(),
  };
}

/** Consumers with their runners' status: one status statement for all of them. */
async function presentWebhookConsumers(ctx: AppContext, consumers: WebhookConsumer[]) {
  const statuses = await sinkStatuses(ctx, consumers.map(sinkStatusInputOf));
  return consumers.map((consumer) => presentWebhookConsumer(consumer, statuses.get(consumer.id)!));
}

export async function getWebhookConsumer(ctx: AppContext, principal: Principal, idOrName: string) {
  const [consumer] = await presentWebhookConsumers(ctx, [await findWebhookConsumer(ctx, principal, idOrName)]);
  return consumer!;
}

/** The create and rotate-secret answers: the consumer and its new signing secret, shown this once. */
export async function getWebhookConsumerWithSecret(ctx: AppContext, principal: Principal, issued: { id: string; secret: string }) {
  return { ...(await getWebhookConsumer(ctx, principal, issued.id)), secret: issued.secret };
}

export async function listWebhookConsumers(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.webhookConsumer.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  const result = toPage(rows, page, (row) => row);
  return { data: await presentWebhookConsumers(ctx, result.data), next_cursor: result.next_cursor };
}

/** The consumer's last attempts (at most 1,000), newest first; `webhook_id` is the batch's `webhook-id` header. */
export async function listWebhookDeliveries(ctx: AppContext, principal: Principal, idOrName: string, page: PageInput) {
  const consumer = await findWebhookConsumer(ctx, principal, idOrName);
  const { data, nextCursor } = await listSinkDeliveries(ctx, consumer.id, page);
  return { data: data.map((entry) => presentDeliveryAttempt(entry, 'webhook_id')), next_cursor: nextCursor };
}

/** The consumer's dead letters, newest first. */
export async function listWebhookDeadLetters(ctx: AppContext, principal: Principal, idOrName: string, page: PageInput) {
  const consumer = await findWebhookConsumer(ctx, principal, idOrName);
  const { data, nextCursor } = await listSinkDeadLetters(ctx, consumer.id, page);
  return { data: data.map((letter) => presentDeadLetter(letter, 'webhook_id')), next_cursor: nextCursor };
}
