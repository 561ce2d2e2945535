import type { Event } from '@event-driven-io/emmett';
import type { DeliverPolicy, StartPosition } from '../consumer-selection.ts';
import type { EventAction, MessageKind } from '../change-events.ts';

export type { DeliverPolicy };

export type HttpConsumerSettings = {
  name: string;
  syncId: string | null;
  collectionIds: string[] | null;
  /** Only collections `<provider>:…`; null (or absent, in events before it existed) for every provider. */
  provider?: string | null;
  /** Where delivery started: the last reset's policy, else the creation's. */
  deliverPolicy: DeliverPolicy;
  ackWaitMs: number;
  /** -1 = unlimited */
  maxDeliver: number;
  maxAckPending: number;
  /** `record` (absent in events before change events existed) or `event`; fixed at creation. */
  messageKind?: MessageKind;
  eventActions?: EventAction[] | null;
  eventChangedFields?: string[] | null;
};

type ConsumerRef = { consumerId: string; accountId: string };

/** The option of a `by_start_time` / `by_start_idx` start (absent in events before they existed). */
export type StartOptions = { optStartTime?: string | null; optStartIdx?: string | null };

export type HttpConsumerCreated = Event<
  'HttpConsumerCreated',
  ConsumerRef & HttpConsumerSettings & StartOptions & { streamId: string; /** the cursor starts after this idx */ startIdx: string; createdAt: string }
>;
export type HttpConsumerUpdated = Event<'HttpConsumerUpdated', ConsumerRef & HttpConsumerSettings & { updatedAt: string }>;
export type HttpConsumerDeleted = Event<'HttpConsumerDeleted', ConsumerRef & { deletedAt: string }>;
/**
 * `POST /v1/http-consumers/{id}/reset`: the cursor moves to just after `startIdx` (back: records
 * are delivered again; ahead: skipped) and the live leases are dropped. `resetCount` numbers the
 * consumer's resets from 1, so that the cursor moves once per reset, also when the log is replayed.
 */
export type HttpConsumerReset = Event<'HttpConsumerReset', ConsumerRef & StartPosition & { startIdx: string; resetCount: number; resetAt: string }>;

export type HttpConsumerEvent = HttpConsumerCreated | HttpConsumerUpdated | HttpConsumerDeleted | HttpConsumerReset;

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
