import type { Event } from '@event-driven-io/emmett';

/**
 * A push consumer's health as its sink runner sees it (stream `consumer-<id>-health`): facts the
 * runner records when its consumer starts failing, recovers, or has records dead-lettered. They
 * feed the account's notifications (docs/OPERATIONS.md "Notifications"); the consumer's status
 * answer reads the runner's own row, as before.
 */
export type ConsumerKindName = 'nats' | 'webhook' | 'postgres';
export type ConsumerHealthRef = { consumerId: string; accountId: string; kind: ConsumerKindName };

export type ConsumerFailed = Event<'ConsumerFailed', ConsumerHealthRef & { message: string; at: string }>;
export type ConsumerRecovered = Event<'ConsumerRecovered', ConsumerHealthRef & { at: string }>;
export type ConsumerDeadLettered = Event<'ConsumerDeadLettered', ConsumerHealthRef & { records: number; at: string }>;

export type ConsumerHealthEvent = ConsumerFailed | ConsumerRecovered | ConsumerDeadLettered;
