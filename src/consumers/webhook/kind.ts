import type { AppContext } from '../../app-context.ts';
import { openWebhookHeaders } from '../../commands/webhook-consumers.ts';
import type { WebhookConsumer } from '../../generated/prisma/client.ts';
import { egressDispatcher } from '../../net/egress-fetch.ts';
import { keptRecordOrEventJson } from '../sinks/event-sources.ts';
import type { JsonRecord, SinkConsumer, SinkKind } from '../sinks/sink.ts';
import { sinkConsumerBase } from '../sinks/consumer-row.ts';
import { webhookWriter, type WebhookTarget } from './writer.ts';

/**
 * A webhook consumer as the sink runner sees it: the common settings, and its row for where and
 * how to POST. The secrets stay sealed until a writer is opened (the supervisor lists every
 * consumer each second, most of them run by no writer of this process).
 */
export interface WebhookSinkConsumer extends SinkConsumer {
  kind: 'webhook';
  settings: WebhookConsumer;
}

export function toWebhookSinkConsumer(row: WebhookConsumer): WebhookSinkConsumer {
  return {
    ...sinkConsumerBase('webhook', row),
    batchSize: row.batchSize,
    maxInFlight: row.maxInFlight,
    maxDeliver: row.maxDeliver,
    retryWindowMs: Number(row.retryWindowMs),
    settings: row,
  };
}

/** The secrets are opened here, for the runner's writer only: never for an answer or a log. */
export function webhookTargetOf(ctx: AppContext, row: WebhookConsumer): WebhookTarget {
  return {
    url: row.url,
    headers: openWebhookHeaders(ctx, row),
    secret: ctx.secretBox.open(row.secretEncrypted),
    previousSecret: row.previousSecretEncrypted === null ? null : ctx.secretBox.open(row.previousSecretEncrypted),
    previousSecretValidUntil: row.previousSecretValidUntil,
    timeoutMs: row.timeoutMs,
  };
}

/** Webhook consumers for the sink runner (src/consumers/sinks/sink.ts). */
export const webhookSinkKind: SinkKind<WebhookSinkConsumer, JsonRecord> = {
  // Receivers drop duplicates by `webhook-id`: after a restart, the very same batches again.
  records: keptRecordOrEventJson,
  name: 'webhook',
  async listConsumers(ctx) {
    const rows = await ctx.prisma.webhookConsumer.findMany({ orderBy: { id: 'asc' } });
    return rows.map(toWebhookSinkConsumer);
  },
  async openWriter(ctx, consumer) {
    return webhookWriter(webhookTargetOf(ctx, consumer.settings), { dispatcher: egressDispatcher(ctx.config), now: ctx.now });
  },
};
