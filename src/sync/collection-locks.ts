import { KeyedQueue } from '../keyed-queue.ts';

const queue = new KeyedQueue();
const writes = new Map<string, number>();
const keyOf = (syncId: string, collectionId: string) => `${syncId}\u0000${collectionId}`;

/**
 * One writer at a time per (sync, collection) in this process, from reading upstream to appending
 * what was read. Without it a poll that read an object's older state could append it after a
 * mutation appended the newer one: the record would step back, then forward on the next poll.
 */
export function withCollectionLock<T>(syncId: string, collectionId: string, task: () => Promise<T>): Promise<T> {
  return queue.run(keyOf(syncId, collectionId), task);
}

/** Called by writes upstream (mutations), under the lock: reads made before it are stale. */
export function markCollectionWritten(syncId: string, collectionId: string): void {
  const key = keyOf(syncId, collectionId);
  writes.set(key, (writes.get(key) ?? 0) + 1);
}

/** Changes whenever the collection is written upstream by this process; a read ahead compares it. */
export function collectionWriteCount(syncId: string, collectionId: string): number {
  return writes.get(keyOf(syncId, collectionId)) ?? 0;
}
