import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/emulators/hubspot/index.ts';
import { hubspotProvider } from '../../src/sync/providers/hubspot/index.ts';
import type { ProviderSession, UpstreamObject } from '../../src/sync/providers/provider.ts';
import { describeConformance } from './conformance/conformance.ts';
import { hubspotOAuthTarget, hubspotPrivateAppTarget } from './targets/hubspot.ts';

describeConformance(hubspotPrivateAppTarget, 'hubspot (private app)');
describeConformance(hubspotOAuthTarget, 'hubspot (OAuth)');

/** The changes cursor's edge cases, straight against the emulator (no engine, no rate limits). */
describe('HubSpot provider: changes cursor against the emulator', () => {
  let emulator: HubSpotEmulator;
  let session: ProviderSession;

  beforeEach(async () => {
    emulator = await startHubSpotEmulator({ seed: { contact: 300, company: 300, deal: 0 }, randomSeed: 5, searchRateLimit: null });
    session = hubspotProvider.connect({
      credential: { kind: 'hubspot', accessToken: emulator.privateAppToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
      fetch: globalThis.fetch,
      oauth: null,
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await emulator?.close();
  });

  /** Every change until the cursor has nothing more, and the cursor after them. */
  async function drain(collectionId: string, cursor: string): Promise<{ objects: UpstreamObject[]; cursor: string; calls: number }> {
    const objects: UpstreamObject[] = [];
    for (let calls = 1; calls < 200; calls++) {
      const page = await session.changesSince(collectionId, cursor);
      objects.push(...page.objects);
      cursor = page.cursor;
      if (!page.hasMore) return { objects, cursor, calls };
    }
    throw new Error('the changes never ran out');
  }

  it('loses no change among hundreds made in the same millisecond, and applies none twice', async () => {
    const cursor = await session.initialChangesCursor('hubspot:contact');
    const frozen = Date.now() + 1000;
    vi.spyOn(Date, 'now').mockReturnValue(frozen);
    const made = emulator.mutateRandomly(400, ['contact']);
    vi.restoreAllMocks();
    const live = emulator.objects('contact').filter((o) => Date.parse(o.updatedAt as string) === frozen);
    expect(live.length).toBeGreaterThan(150); // more ties than one search page

    const { objects, cursor: after } = await drain('hubspot:contact', cursor);
    const liveSeen = objects.filter((o) => !o.deleted).map((o) => o.upstreamId);
    expect(new Set(liveSeen).size).toBe(liveSeen.length);
    expect(new Set(liveSeen)).toEqual(new Set(live.map((o) => o.id as string)));
    const tombstones = new Set(objects.filter((o) => o.deleted).map((o) => o.upstreamId));
    for (const id of made.deleted) expect(tombstones).toContain(id);

    const again = await drain('hubspot:contact', after);
    expect(again.objects.filter((o) => !o.deleted)).toEqual([]);
  });

  it('reports an object archived behind a running archived scan in the next scan', async () => {
    const cursor = await session.initialChangesCursor('hubspot:company');
    const companies = emulator.objects('company').map((o) => o.id as string);
    const late = companies[5]!;
    for (const id of companies.slice(0, 250)) if (id !== late) expect((await fetch(`${emulator.url}/crm/v3/objects/companies/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulator.privateAppToken}` } })).status).toBe(204);

    const first = await session.changesSince('hubspot:company', cursor);
    expect(first.hasMore).toBe(true); // the scan read its first page of three
    expect((await fetch(`${emulator.url}/crm/v3/objects/companies/${late}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulator.privateAppToken}` } })).status).toBe(204);
    const rest = await drain('hubspot:company', first.cursor);
    const scanOne = new Set([...first.objects, ...rest.objects].filter((o) => o.deleted).map((o) => o.upstreamId));
    expect(scanOne.size).toBe(249);
    expect(scanOne.has(late)).toBe(false);

    const next = await drain('hubspot:company', rest.cursor);
    const reported = next.objects.find((o) => o.upstreamId === late);
    expect(reported).toMatchObject({ deleted: true, data: { id: late, archived: true } });
  });
});

/** HubSpot's search answers no result past the 10,000th of one query (the emulator refuses to page further). */
describe('HubSpot provider: a burst of more changes than one search can answer', () => {
  let emulator: HubSpotEmulator;
  afterEach(async () => {
    await emulator?.close();
  });

  it('reads all of 10,150 changes: each poll searches from the newest change applied, never deep into one query', async () => {
    emulator = await startHubSpotEmulator({ seed: { contact: 10_150, company: 0, deal: 0 }, randomSeed: 9, searchRateLimit: null });
    const session = hubspotProvider.connect({
      credential: { kind: 'hubspot', accessToken: emulator.privateAppToken, accessTokenExpiresAt: null, refreshToken: null, apiBaseUrl: emulator.url, metadata: {}, oauthApp: null },
      fetch: globalThis.fetch,
      oauth: null,
    });
    let cursor = await session.initialChangesCursor('hubspot:contact');
    const ids = emulator.objects('contact').map((o) => o.id as string);
    for (const id of ids) emulator.updateObject('contact', id, { jobtitle: 'Burst' });

    const seen = new Set<string>();
    for (let polls = 0; polls < 500; polls++) {
      const page = await session.changesSince('hubspot:contact', cursor);
      for (const o of page.objects) if ((o.data.properties as Record<string, unknown>).jobtitle === 'Burst') seen.add(o.upstreamId);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(seen.size).toBe(ids.length);
    // No search paged into the cap (the emulator answers 400 there, as HubSpot does).
    expect(emulator.requestLog.filter((r) => r.path.endsWith('/search') && r.status !== 200)).toEqual([]);
  }, 300_000);
});
