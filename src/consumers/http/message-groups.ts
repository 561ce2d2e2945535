import type { MessageGroup, MessageRef } from '../../domain/http-consumers/events.ts';

type Columns<T> = {
  ackTokens?: (message: T) => string;
  updatedIdx?: (message: T) => string;
  deliverCounts?: (message: T) => number;
};

/**
 * A history event's messages as columns, one group per sync and collection, in their order
 * (events.ts, MessageGroup): a batch's event carries its keys once, not once per message.
 */
export function messageGroups<T extends MessageRef>(messages: readonly T[], columns: Columns<T>): MessageGroup[] {
  const groups = new Map<string, MessageGroup>();
  for (const message of messages) {
    const key = `${message.syncId}\u0000${message.collectionId}`;
    let group = groups.get(key);
    if (!group) {
      group = { syncId: message.syncId, collectionId: message.collectionId, upstreamIds: [] };
      if (columns.ackTokens) group.ackTokens = [];
      if (columns.updatedIdx) group.updatedIdx = [];
      if (columns.deliverCounts) group.deliverCounts = [];
      groups.set(key, group);
    }
    group.upstreamIds.push(message.upstreamId);
    if (columns.ackTokens) group.ackTokens!.push(columns.ackTokens(message));
    if (columns.updatedIdx) group.updatedIdx!.push(columns.updatedIdx(message));
    if (columns.deliverCounts) group.deliverCounts!.push(columns.deliverCounts(message));
  }
  return [...groups.values()];
}
