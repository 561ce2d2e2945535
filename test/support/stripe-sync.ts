import { expect } from 'vitest';
import type { StripeCollection, StripeEmulator } from '../../src/emulators/stripe/index.ts';
import type { RestClient } from './api.ts';
import { allRecords } from './records.ts';
import { waitFor } from './wait.ts';

export const ALL_STRIPE_COLLECTIONS: StripeCollection[] = ['customer', 'product', 'price', 'subscription', 'invoice', 'charge'];

export interface StripeSyncOptions {
  collections?: StripeCollection[];
  rateLimit?: { allowed_requests: number; interval: number; max_concurrent_requests: number };
  pollIntervalMs?: number;
}

/** Creates a sync of `collections` against the emulator through the REST API. */
export async function createStripeSync(api: RestClient, emulator: StripeEmulator, options: StripeSyncOptions = {}) {
  const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: emulator.apiKey, api_base_url: emulator.url, name: 'emulator' });
  expect(credential.status).toBe(201);
  const sync = await api.post('/v1/syncs', {
    provider: 'stripe',
    name: 'stripe emulator',
    collection_ids: (options.collections ?? ALL_STRIPE_COLLECTIONS).map((c) => `stripe:${c}`),
    credential_id: credential.body.id,
    rate_limit: options.rateLimit ?? { allowed_requests: 200, interval: 1, max_concurrent_requests: 8 },
    poll_interval_ms: options.pollIntervalMs ?? 1000,
  });
  expect(sync.status).toBe(201);
  return { sync: sync.body as { id: string; stream_id: string }, credentialId: credential.body.id as string };
}

export async function syncStatus(api: RestClient, syncId: string) {
  const answer = await api.get(`/v1/syncs/${syncId}/status`);
  expect(answer.status).toBe(200);
  return answer.body;
}

export async function waitForBackfill(api: RestClient, syncId: string, timeoutMs: number) {
  return waitFor(
    async () => {
      const status = await syncStatus(api, syncId);
      return status.collections.every((c: { backfill: { done: boolean } }) => c.backfill.done) ? status : null;
    },
    timeoutMs,
    'backfill to complete',
  );
}

/** What the records of a sync say about one collection: live objects by id and tombstoned ids. */
export async function recordsOf(api: RestClient, syncId: string, collection: StripeCollection) {
  const records = await allRecords(api, syncId, `stripe:${collection}`);
  const live = new Map(records.filter((r) => !r.deleted).map((r) => [r.upstream_id, r.data]));
  const deleted = new Set(records.filter((r) => r.deleted).map((r) => r.upstream_id));
  return { records, live, deleted };
}

/** Differences between the records and the emulator's objects (empty when they match exactly). */
export async function differencesFromUpstream(api: RestClient, syncId: string, emulator: StripeEmulator, collections = ALL_STRIPE_COLLECTIONS) {
  const differences: string[] = [];
  for (const collection of collections) {
    const { records, live } = await recordsOf(api, syncId, collection);
    if (new Set(records.map((r) => r.upstream_id)).size !== records.length) differences.push(`${collection}: duplicate records`);
    const upstream = new Map(emulator.objects(collection).map((o) => [o.id as string, o]));
    for (const [id, object] of upstream) {
      if (!live.has(id)) differences.push(`${collection} ${id}: missing`);
      else if (JSON.stringify(sortKeys(live.get(id))) !== JSON.stringify(sortKeys(object))) differences.push(`${collection} ${id}: stale`);
    }
    for (const id of live.keys()) if (!upstream.has(id)) differences.push(`${collection} ${id}: live record of an object gone upstream`);
  }
  return differences;
}

export async function waitForUpstreamMatch(api: RestClient, syncId: string, emulator: StripeEmulator, timeoutMs: number, collections = ALL_STRIPE_COLLECTIONS) {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await differencesFromUpstream(api, syncId, emulator, collections);
      return last.length === 0;
    },
    timeoutMs,
    'records to match the emulator',
  ).catch((error: Error) => {
    throw new Error(`${error.message}; ${last.length} differences, e.g. ${last.slice(0, 5).join('; ')}`);
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}
