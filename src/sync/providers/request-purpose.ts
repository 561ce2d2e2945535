/**
 * Why a provider sends a request, when that is not plain reading of changes: the sync's status
 * counts, per collection, the requests spent on delete detection (issue 27: a quiet GitHub sync
 * kept making requests and nothing said why). A provider wraps the reads that exist only to find
 * deletes in `detectingDeletes`; the engine's fetch, which counts every attempt it sends (see
 * src/sync/in-flight.ts), reads the purpose from the async context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type RequestPurpose = 'delete_detection';

const purposeScope = new AsyncLocalStorage<RequestPurpose>();

/** Runs `work` so that every request it sends (and whatever it starts sends) counts as delete detection. */
export function detectingDeletes<T>(work: () => Promise<T>): Promise<T> {
  return purposeScope.run('delete_detection', work);
}

/** The purpose of a request sent now; null for the ordinary reading of changes and backfill pages. */
export function requestPurpose(): RequestPurpose | null {
  return purposeScope.getStore() ?? null;
}
