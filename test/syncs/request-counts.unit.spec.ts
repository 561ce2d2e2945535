import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/sync/http/rate-limiter.ts';
import { createUpstreamFetch } from '../../src/sync/http/upstream-fetch.ts';
import { inCollection, SyncActivity } from '../../src/sync/in-flight.ts';
import { detectingDeletes, requestPurpose } from '../../src/sync/providers/request-purpose.ts';

/** The engine's fetch over an in-memory upstream: `/flaky` answers 503 once, then 200; every answer takes a few ms. */
function engineFetch(activity: SyncActivity): typeof fetch {
  let flaky = 0;
  const upstream = async (input: string | URL | Request): Promise<Response> => {
    await sleep(1 + Math.floor(Math.random() * 4));
    const path = new URL(String(input)).pathname;
    return new Response('{}', { status: path === '/flaky' && flaky++ === 0 ? 503 : 200 });
  };
  return createUpstreamFetch({
    limiter: new RateLimiter({ allowedRequests: 10_000, intervalSeconds: 1, maxConcurrentRequests: 0 }),
    signal: new AbortController().signal,
    fetch: upstream as typeof fetch,
    baseDelayMs: 1,
    activity,
  });
}

const get = (fetch: typeof globalThis.fetch, path: string) => fetch(`http://127.0.0.1:1${path}`).then((r) => r.text());

describe('requests counted per collection', () => {
  it('counts each collection apart, and as delete detection only what ran inside detectingDeletes, with collections interleaved', async () => {
    const activity = new SyncActivity();
    const fetch = engineFetch(activity);
    // Three collections at once, each alternating ordinary reads and delete-detection reads, so
    // their requests are on the wire together and their async contexts interleave.
    const collection = (id: string, rounds: number) =>
      inCollection(id, async () => {
        for (let i = 0; i < rounds; i++) {
          await Promise.all([get(fetch, `/${id}/changes`), get(fetch, `/${id}/changes`)]);
          await detectingDeletes(async () => {
            expect(requestPurpose()).toBe('delete_detection');
            await Promise.all([get(fetch, `/${id}/deleted`), sleep(1).then(() => get(fetch, `/${id}/deleted`))]);
          });
          expect(requestPurpose()).toBeNull();
        }
      });
    await Promise.all([collection('a', 5), collection('b', 3), inCollection('c', () => Promise.all([get(fetch, '/c/1'), get(fetch, '/c/2')]))]);

    expect(Object.fromEntries(activity.drainRequestCounts())).toEqual({
      a: { requests: 20, deleteDetection: 10 },
      b: { requests: 12, deleteDetection: 6 },
      c: { requests: 2, deleteDetection: 0 },
    });
    // Drained: nothing until the next request.
    expect(activity.drainRequestCounts().size).toBe(0);
  });

  it('counts every attempt (a retried request twice), and nothing sent outside a collection', async () => {
    const activity = new SyncActivity();
    const fetch = engineFetch(activity);
    await inCollection('a', () => detectingDeletes(() => get(fetch, '/flaky')));
    await get(fetch, '/outside');
    expect(Object.fromEntries(activity.drainRequestCounts())).toEqual({ a: { requests: 2, deleteDetection: 2 } });
  });

  it('gives back the counts of a failed flush: the next drain holds them with what came since', async () => {
    const activity = new SyncActivity();
    const fetch = engineFetch(activity);
    await inCollection('a', () => Promise.all([get(fetch, '/x'), detectingDeletes(() => get(fetch, '/y'))]));
    const failed = activity.drainRequestCounts();
    await inCollection('a', () => get(fetch, '/z'));
    await inCollection('b', () => detectingDeletes(() => get(fetch, '/z')));
    activity.restoreRequestCounts(failed);
    expect(Object.fromEntries(activity.drainRequestCounts())).toEqual({ a: { requests: 3, deleteDetection: 1 }, b: { requests: 1, deleteDetection: 1 } });
  });
});
