import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/emulators/salesforce/index.ts';
import type { OAuthTokenSet, ProviderSession, UpstreamObject } from '../../src/sync/providers/provider.ts';
import { salesforceProvider } from '../../src/sync/providers/salesforce/index.ts';
import { describeConformance } from './conformance/conformance.ts';
import { salesforceConformanceTarget } from './targets/salesforce.ts';

describeConformance(salesforceConformanceTarget);

/** An admin changes the org's fields while a sync runs: straight against the emulator (no engine). */
describe('Salesforce provider: fields added and removed upstream while the session runs', () => {
  let emulator: SalesforceEmulator;
  let session: ProviderSession;

  beforeEach(async () => {
    emulator = await startSalesforceEmulator({ objects: 20, randomSeed: 7, rateLimit: null });
    const e = emulator;
    let tokens: OAuthTokenSet | null = null;
    const refreshToken = e.issueRefreshToken();
    const grant = async () => (tokens = await salesforceProvider.oauth!.requestToken({ grant: { type: 'refresh_token', refreshToken }, clientId: e.client.clientId, clientSecret: e.client.clientSecret, apiBaseUrl: e.url, fetch }));
    session = salesforceProvider.connect({
      credential: { kind: 'salesforce_oauth2', accessToken: null, accessTokenExpiresAt: null, refreshToken: 'unused', apiBaseUrl: e.url, metadata: {}, oauthApp: { clientId: e.client.clientId, clientSecret: e.client.clientSecret } },
      fetch,
      oauth: { current: async () => tokens ?? grant(), refresh: grant },
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await emulator?.close();
  });

  async function drain(cursor: string): Promise<{ objects: UpstreamObject[]; cursor: string }> {
    const objects: UpstreamObject[] = [];
    for (let i = 0; i < 50; i++) {
      const page = await session.changesSince('salesforce:contact', cursor);
      objects.push(...page.objects);
      cursor = page.cursor;
      if (!page.hasMore) return { objects, cursor };
    }
    throw new Error('the changes never ran out');
  }

  const describes = () => emulator.requestLog.filter((r) => r.path.endsWith('/sobjects/Contact/describe'));
  const later = (ms: number) => {
    const now = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => now() + ms);
  };

  it('a custom field added upstream appears in the records of the same session, found by a describe asked If-Modified-Since', async () => {
    const cursor = await session.initialChangesCursor('salesforce:contact');
    emulator.addField('contact', { name: 'Loyalty_Tier__c', label: 'Loyalty Tier', type: 'string', writable: true });
    const contact = emulator.objects('contact')[0]!.Id as string;
    emulator.setField('contact', contact, 'Loyalty_Tier__c', 'Gold');
    // HTTP dates have whole seconds: the describe that finds the field is a second past its change, so the check after it can be answered 304.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Within the minute the field set is trusted; after it, the describe is asked again.
    later(61_000);
    const { objects, cursor: after } = await drain(cursor);
    const record = objects.find((o) => o.upstreamId === contact);
    expect(record?.data).toEqual(emulator.objects('contact').find((c) => c.Id === contact));
    expect(record?.data.Loyalty_Tier__c).toBe('Gold');

    // Nothing changed since: the next check is answered 304 and the field set stays.
    const before = describes().length;
    vi.restoreAllMocks();
    later(125_000);
    await drain(after);
    const checks = describes().slice(before);
    expect(checks.map((r) => r.status)).toEqual([304]);
  });

  it('a field removed upstream does not break the query: the fields are described afresh and the records go on without it', async () => {
    const cursor = await session.initialChangesCursor('salesforce:contact');
    emulator.removeField('contact', 'MobilePhone');
    const contact = emulator.objects('contact')[1]!.Id as string;
    emulator.setField('contact', contact, 'Title', 'Head of Fields');
    const { objects } = await drain(cursor);
    const record = objects.find((o) => o.upstreamId === contact);
    expect(record?.data).toEqual(emulator.objects('contact').find((c) => c.Id === contact));
    expect(record?.data).not.toHaveProperty('MobilePhone');
    expect(record?.data.Title).toBe('Head of Fields');
  });
});
