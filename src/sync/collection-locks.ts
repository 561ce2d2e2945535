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

/**
 * A write upstream (a mutation) under the collection's lock. The collection's write count
 * changes as it starts and again as it ends: reads begun before it, or while it runs (a backfill
 * reads ahead outside the lock), are stale.
 */
export function withCollectionWrite<T>(syncId: string, collectionId: string, task: () => Promise<T>): Promise<T> {
  return withCollectionLock(syncId, collectionId, async () => {
    markCollectionWritten(syncId, collectionId);
    try {
      return await task();
    } finally {
      markCollectionWritten(syncId, collectionId);
    }
  });
}

function markCollectionWritten(syncId: string, collectionId: string): void {
  const key = keyOf(syncId, collectionId);
  writes.set(key, (writes.get(key) ?? 0) + 1);
}

/** Changes whenever the collection is written upstream by this process; a read ahead compares it. */
export function collectionWriteCount(syncId: string, collectionId: string): number {
  return writes.get(keyOf(syncId, collectionId)) ?? 0;
}
