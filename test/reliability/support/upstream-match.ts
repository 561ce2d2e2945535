import { isDeepStrictEqual } from 'node:util';
import type { StripeCollection, StripeEmulator } from '../../../src/emulators/stripe/index.ts';
import type { RestClient } from '../../support/api.ts';
import { allRecords } from '../../support/records.ts';
import { ALL_STRIPE_COLLECTIONS, differencesFromUpstream } from '../../support/stripe-sync.ts';

export interface EmulatorEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}

/** Every event of the emulator's feed, newest first. */
export async function emulatorEvents(emulator: StripeEmulator): Promise<EmulatorEvent[]> {
  const events: EmulatorEvent[] = [];
  let startingAfter = '';
  for (;;) {
    const page = await fetch(`${emulator.url}/v1/events?limit=100${startingAfter ? `&starting_after=${startingAfter}` : ''}`, {
      headers: { authorization: `Bearer ${emulator.apiKey}` },
    }).then((r) => r.json() as Promise<{ data: EmulatorEvent[]; has_more: boolean }>);
    events.push(...page.data);
    if (!page.has_more || page.data.length === 0) return events;
    startingAfter = page.data.at(-1)!.id;
  }
}

/**
 * Whether a stale record is exactly the known bug `initial-cursor-same-second`: the record holds
 * the object as an older event of it said, and a newer event of the same object was created in
 * the same second (the one a new changes cursor marked as applied, so the first poll re-applied
 * the older one over the backfill's newer listing).
 */
export function isSameSecondRegression(recordData: unknown, objectId: string, newestFirst: EmulatorEvent[]): boolean {
  const own = newestFirst.filter((e) => e.data.object.id === objectId);
  return own.some((older, i) => isDeepStrictEqual(older.data.object, recordData) && own.slice(0, i).some((newer) => newer.created === older.created));
}

/**
 * Waits until the sync's records equal the emulator's objects, except records stale in the known
 * `initial-cursor-same-second` way; returns those (empty when everything matches). The answer
 * must hold for three checks in a row (the sync has quiesced).
 */
export async function waitForUpstreamMatchExceptKnown(
  api: RestClient,
  syncId: string,
  emulator: StripeEmulator,
  timeoutMs: number,
  collections: StripeCollection[] = ALL_STRIPE_COLLECTIONS,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let stable = 0;
  let last: string[] = [];
  let unexplained: string[] = [];
  for (;;) {
    const differences = await differencesFromUpstream(api, syncId, emulator, collections);
    if (differences.length === 0) return [];
    unexplained = [];
    const explained: string[] = [];
    const events = await emulatorEvents(emulator);
    for (const difference of differences) {
      const [, collection = '', id = '', what = ''] = /^(\S+) (\S+): (.*)$/.exec(difference) ?? [];
      if (what !== 'stale') {
        unexplained.push(difference);
        continue;
      }
      const record = (await allRecords(api, syncId, `stripe:${collection}`)).find((r) => r.upstream_id === id);
      if (record && isSameSecondRegression(record.data, id, events)) explained.push(difference);
      else unexplained.push(difference);
    }
    stable = unexplained.length === 0 && isDeepStrictEqual(explained, last) ? stable + 1 : 0;
    last = explained;
    if (stable >= 3) return explained;
    if (Date.now() > deadline) {
      throw new Error(`records do not match the emulator after ${timeoutMs} ms: ${differences.length} differences, ${unexplained.length} unexplained, e.g. ${unexplained.slice(0, 5).join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
