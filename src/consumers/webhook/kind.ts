import type { AppContext } from '../../app-context.ts';
import { openWebhookHeaders } from '../../commands/webhook-consumers.ts';
import type { WebhookConsumer } from '../../generated/prisma/client.ts';
import { egressDispatcher } from '../../net/egress-fetch.ts';
import type { SinkConsumer, SinkKind } from '../sinks/sink.ts';
import { webhookWriter, type WebhookTarget } from './writer.ts';

/** A webhook consumer as the sink runner sees it: the common settings, and where and how to POST. */
export interface WebhookSinkConsumer extends SinkConsumer, WebhookTarget {
  kind: 'webhook';
}

/** The secrets are opened here, for the runner's writer only: never for an answer or a log. */
export function toWebhookSinkConsumer(ctx: AppContext, row: WebhookConsumer): WebhookSinkConsumer {
  return {
    kind: 'webhook',
    id: row.id,
    accountId: row.accountId,
    name: row.name,
    selection: {
      streamId: row.streamId,
      syncId: row.syncId,
      collectionIds: row.collectionIds.length > 0 ? row.collectionIds : null,
      provider: row.provider,
    },
    generation: row.generation,
    startIdx: row.startIdx,
    resetCount: row.resetCount,
    batchSize: row.batchSize,
    maxInFlight: row.maxInFlight,
    maxDeliver: row.maxDeliver,
    retryWindowMs: Number(row.retryWindowMs),
    url: row.url,
    headers: openWebhookHeaders(ctx, row),
    secret: ctx.secretBox.open(row.secretEncrypted),
    previousSecret: row.previousSecretEncrypted === null ? null : ctx.secretBox.open(row.previousSecretEncrypted),
    previousSecretValidUntil: row.previousSecretValidUntil,
    timeoutMs: row.timeoutMs,
  };
}

/** Webhook consumers for the sink runner (src/consumers/sinks/sink.ts). */
export const webhookSinkKind: SinkKind<WebhookSinkConsumer> = {
  resendsSameWindow: true,
  name: 'webhook',
  async listConsumers(ctx) {
    const rows = await ctx.prisma.webhookConsumer.findMany({ orderBy: { id: 'asc' } });
    return rows.map((row) => toWebhookSinkConsumer(ctx, row));
  },
  async openWriter(ctx, consumer) {
    return webhookWriter(consumer, { dispatcher: egressDispatcher(ctx.config), now: ctx.now });
  },
};
