/**
 * What each running sync is doing upstream right now, per collection, in memory on the instance
 * that runs it (issue 21: a hung upstream was invisible for minutes). The engine's fetch reports
 * requests and waits as they start and end (UpstreamActivity); the collection is the async
 * context the runner runs each collection in. `GET /v1/syncs/{id}/status` reads it; another
 * instance, which does not run the sync, knows nothing of it and answers null. It also counts
 * each collection's requests (and those spent on delete detection) for the runner to flush into
 * `sync_collection_runtime`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UpstreamActivity, UpstreamWaitReason } from './http/upstream-activity.ts';
import { requestPurpose } from './providers/request-purpose.ts';

const collectionScope = new AsyncLocalStorage<string>();

/** Runs `work` (a collection's steps, and whatever they start) as the activity of `collectionId`. */
export function inCollection<T>(collectionId: string, work: () => Promise<T>): Promise<T> {
  return collectionScope.run(collectionId, work);
}

/** The collection whose steps are running (inCollection), if any: its upstream requests' spans name it. */
export function currentCollection(): string | undefined {
  return collectionScope.getStore();
}

type Entry = { kind: 'request'; method: string; path: string; since: number } | { kind: 'wait'; reason: UpstreamWaitReason; since: number; until: number | null };

export interface InFlightRequest {
  method: string;
  path: string;
  since: Date;
  ageMs: number;
}

export interface UpstreamWait {
  reason: UpstreamWaitReason;
  since: Date;
  /** When the wait is known to end; null for a rate-limit slot. */
  until: Date | null;
  ageMs: number;
}

/** Requests on the wire, oldest first, and the longest-running wait (null when none). */
export interface CollectionActivity {
  inFlight: InFlightRequest[];
  waiting: UpstreamWait | null;
}

/** Requests a collection sent upstream (every attempt), and how many of them looked for deletes (request-purpose.ts). */
export interface RequestCounts {
  requests: number;
  deleteDetection: number;
}

/** Requests that belong to no collection (none today) are shown under every collection, and counted under none. */
const ANY_COLLECTION = '';

export class SyncActivity implements UpstreamActivity {
  private readonly entries = new Map<string, Set<Entry>>();
  /** Per collection, since the last `drainRequestCounts`. */
  private counts = new Map<string, RequestCounts>();

  request(request: string): () => void {
    const collectionId = collectionScope.getStore();
    if (collectionId !== undefined) this.count(collectionId, { requests: 1, deleteDetection: requestPurpose() === 'delete_detection' ? 1 : 0 });
    const space = request.indexOf(' ');
    return this.add({ kind: 'request', method: request.slice(0, space), path: request.slice(space + 1), since: Date.now() });
  }

  waiting(reason: UpstreamWaitReason, ms: number | null): () => void {
    const since = Date.now();
    return this.add({ kind: 'wait', reason, since, until: ms === null ? null : since + ms });
  }

  view(collectionId: string, now = Date.now()): CollectionActivity {
    const entries = [...(this.entries.get(collectionId) ?? []), ...(this.entries.get(ANY_COLLECTION) ?? [])].sort((a, b) => a.since - b.since);
    const inFlight: InFlightRequest[] = [];
    let waiting: UpstreamWait | null = null;
    for (const e of entries) {
      if (e.kind === 'request') inFlight.push({ method: e.method, path: e.path, since: new Date(e.since), ageMs: now - e.since });
      else waiting ??= { reason: e.reason, since: new Date(e.since), until: e.until === null ? null : new Date(e.until), ageMs: now - e.since };
    }
    return { inFlight, waiting };
  }

  /** The requests counted since the last drain, per collection (none when idle); the counting starts again from zero. */
  drainRequestCounts(): Map<string, RequestCounts> {
    const drained = this.counts;
    this.counts = new Map();
    return drained;
  }

  /** Gives drained counts back (their flush failed): the next drain holds them again. */
  restoreRequestCounts(counts: ReadonlyMap<string, RequestCounts>): void {
    for (const [collectionId, c] of counts) this.count(collectionId, c);
  }

  private count(collectionId: string, { requests, deleteDetection }: RequestCounts): void {
    const c = this.counts.get(collectionId);
    if (c) {
      c.requests += requests;
      c.deleteDetection += deleteDetection;
    } else this.counts.set(collectionId, { requests, deleteDetection });
  }

  private add(entry: Entry): () => void {
    const key = collectionScope.getStore() ?? ANY_COLLECTION;
    let set = this.entries.get(key);
    if (!set) this.entries.set(key, (set = new Set()));
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }
}

const running = new Map<string, SyncActivity>();

/** The activity board of a sync run on this instance; `release` when the run ends. */
export function openSyncActivity(syncId: string): { activity: SyncActivity; release: () => void } {
  const activity = new SyncActivity();
  running.set(syncId, activity);
  return {
    activity,
    release: () => {
      if (running.get(syncId) === activity) running.delete(syncId);
    },
  };
}

/** What the sync's run on this instance is doing; null when it does not run here. */
export function syncActivityHere(syncId: string): SyncActivity | null {
  return running.get(syncId) ?? null;
}
