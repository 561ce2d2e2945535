import type { AppContext } from '../../app-context.ts';
import type { HttpConsumer } from '../../generated/prisma/client.ts';
import { toDeliveryConsumer } from './delivery-consumer.ts';
import { nextMessages, type NextResult } from './delivery.ts';
import { messageGroups } from './message-groups.ts';
import { waitForRecords } from './wait-for-records.ts';
import { nextDone } from '../delivery-trace.ts';

/**
 * Leases a batch of at most `batchSize` messages and, past the first, `maxBytes` of records
 * (migration 0043); with `waitMs` > 0 and nothing to deliver, waits until records arrive in the
 * stream or a lease falls due, up to `waitMs`.
 */
export async function receive(ctx: AppContext, consumer: HttpConsumer, batchSize: number, waitMs: number, maxBytes = ctx.config.SYNCLINE_MAX_ANSWER_BYTES): Promise<NextResult> {
  const delivery = toDeliveryConsumer(consumer);
  const startTime = Date.now();
  const deadline = startTime + waitMs;
  for (;;) {
    const result = await nextMessages(ctx.pool, delivery, batchSize, maxBytes);
    const at = ctx.now().toISOString();
    const dead = messageGroups(result.dead, { deliverCounts: (m) => m.deliverCount });
    ctx.history.record(consumer.id, { type: 'MessagesDead', data: { consumerId: consumer.id, groups: dead, at } });
    if (result.delivered.length > 0 || Date.now() >= deadline) {
      const delivered = messageGroups(result.delivered, { ackTokens: (m) => m.ackToken, updatedIdx: (m) => m.updatedIdx, deliverCounts: (m) => m.deliverCount });
      ctx.history.record(consumer.id, { type: 'MessagesLeased', data: { consumerId: consumer.id, groups: delivered, at } });
      nextDone(ctx, startTime, consumer.streamId, result.delivered, { 'syncline.consumer.id': consumer.id, 'syncline.consumer.kind': 'http' });
      return result;
    }
    await waitForRecords(ctx, consumer.streamId, Math.min(deadline - Date.now(), 250));
  }
}
