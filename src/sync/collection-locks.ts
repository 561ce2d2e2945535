import { KeyedQueue } from '../keyed-queue.ts';

const queue = new KeyedQueue();

/**
 * One writer at a time per (sync, collection) in this process, from reading upstream to appending
 * what was read. Without it a poll that read an object's older state could append it after a
 * mutation appended the newer one: the record would step back, then forward on the next poll.
 */
export function withCollectionLock<T>(syncId: string, collectionId: string, task: () => Promise<T>): Promise<T> {
  return queue.run(`${syncId}\u0000${collectionId}`, task);
}
