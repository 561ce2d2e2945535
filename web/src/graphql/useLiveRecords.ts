import { useEffect, useState } from 'react';
import { useClient, type CombinedError } from 'urql';
import { RecordChangedSubscription, type RecordChangedData, type SyncRecord } from './operations.ts';

/** A record's identity in a stream: two syncs may hold the same collection and upstream id. */
export const recordKey = (r: SyncRecord) => `${r.syncId}\u0000${r.collectionId}\u0000${r.upstreamId}`;

/** Newest first, one entry per record, at most `keep`. `arrived` is in arrival order (oldest first). */
export function mergeLive(arrived: SyncRecord[], previous: SyncRecord[], keep: number): SyncRecord[] {
  const seen = new Set<string>();
  const merged: SyncRecord[] = [];
  for (const record of [...arrived].reverse().concat(previous)) {
    const key = recordKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(record);
    if (merged.length === keep) break;
  }
  return merged;
}

const FLUSH_MS = 200;

export interface LiveRecords {
  /** The newest version of each recently changed record, newest first (at most `keep`). */
  records: SyncRecord[];
  /** Versions received since the page subscribed. */
  received: number;
  error: CombinedError | null;
}

/**
 * recordChanged from now on (`syncId` null: every sync of the stream), rendered at most every
 * 200 ms: a backfill can send thousands of versions a second, and the page should not re-render
 * for each.
 */
export function useLiveRecords(streamId: string, syncId: string | null, collectionId: string | null, keep: number): LiveRecords {
  const client = useClient();
  const [state, setState] = useState<LiveRecords>({ records: [], received: 0, error: null });
  useEffect(() => {
    setState({ records: [], received: 0, error: null });
    let buffer: SyncRecord[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const arrived = buffer;
      buffer = [];
      setState((previous) => ({ error: null, received: previous.received + arrived.length, records: mergeLive(arrived, previous.records, keep) }));
    };
    const subscription = client
      .subscription<RecordChangedData>(RecordChangedSubscription, { streamId, syncId, collectionIds: collectionId ? [collectionId] : null })
      .subscribe((result) => {
        if (result.error) setState((previous) => ({ ...previous, error: result.error ?? null }));
        if (!result.data) return;
        buffer.push(result.data.recordChanged);
        timer ??= setTimeout(flush, FLUSH_MS);
      });
    return () => {
      subscription.unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [client, streamId, syncId, collectionId, keep]);
  return state;
}
