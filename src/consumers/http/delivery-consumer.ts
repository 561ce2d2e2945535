import type { HttpConsumer } from '../../generated/prisma/client.ts';
import type { DeliveryConsumer } from './delivery.ts';

/** The settings delivery reads from a consumer's read-model row (no collection or provider filter: null). */
export const toDeliveryConsumer = (c: HttpConsumer): DeliveryConsumer => ({
  id: c.id,
  streamId: c.streamId,
  syncId: c.syncId,
  collectionIds: c.collectionIds.length > 0 ? c.collectionIds : null,
  provider: c.provider,
  ackWaitMs: c.ackWaitMs,
  maxDeliver: c.maxDeliver,
  maxAckPending: c.maxAckPending,
  messageKind: c.messageKind === 'event' ? 'event' : 'record',
});
