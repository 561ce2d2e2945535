import type { Event } from '@event-driven-io/emmett';

export type DeliverPolicy = 'all' | 'new';

export type HttpConsumerSettings = {
  name: string;
  syncId: string | null;
  collectionIds: string[] | null;
  deliverPolicy: DeliverPolicy;
  ackWaitMs: number;
  /** -1 = unlimited */
  maxDeliver: number;
  maxAckPending: number;
};

type ConsumerRef = { consumerId: string; accountId: string };

export type HttpConsumerCreated = Event<
  'HttpConsumerCreated',
  ConsumerRef & HttpConsumerSettings & { streamId: string; /** the cursor starts after this idx */ startIdx: string; createdAt: string }
>;
export type HttpConsumerUpdated = Event<'HttpConsumerUpdated', ConsumerRef & HttpConsumerSettings & { updatedAt: string }>;
export type HttpConsumerDeleted = Event<'HttpConsumerDeleted', ConsumerRef & { deletedAt: string }>;

export type HttpConsumerEvent = HttpConsumerCreated | HttpConsumerUpdated | HttpConsumerDeleted;

/** A message is one record of the stream, identified by its key; `updatedIdx` is the version. */
export type MessageRef = { syncId: string; collectionId: string; upstreamId: string };

/**
 * The messages of a history event with one sync and collection, as columns: `upstreamIds[i]`,
 * `ackTokens[i]`, … are message i (migration 0035). Events appended before it list `messages`
 * as objects instead; `syncline_history_messages` reads both.
 */
export type MessageGroup = {
  syncId: string;
  collectionId: string;
  upstreamIds: string[];
  ackTokens?: string[];
  updatedIdx?: string[];
  deliverCounts?: number[];
};

/** Delivery history of a consumer (stream `consumer-<id>-messages`), recorded after each batch commits. */
export type MessagesLeased = Event<'MessagesLeased', { consumerId: string; groups: MessageGroup[]; at: string }>;
export type MessagesAcked = Event<'MessagesAcked', { consumerId: string; groups: MessageGroup[]; at: string }>;
export type MessagesNacked = Event<'MessagesNacked', { consumerId: string; groups: MessageGroup[]; delayMs: number; at: string }>;
export type MessagesDead = Event<'MessagesDead', { consumerId: string; groups: MessageGroup[]; at: string }>;

export type MessageHistoryEvent = MessagesLeased | MessagesAcked | MessagesNacked | MessagesDead;
