import type { Event } from '@event-driven-io/emmett';

export type StreamCreated = Event<'StreamCreated', { streamId: string; accountId: string; name: string; createdAt: string }>;
export type StreamDeleted = Event<'StreamDeleted', { streamId: string; accountId: string; deletedAt: string }>;

export type StreamEvent = StreamCreated | StreamDeleted;
