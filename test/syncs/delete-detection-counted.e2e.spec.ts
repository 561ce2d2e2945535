import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../src/emulators/github/index.ts';
import { startHubSpotEmulator, type HubSpotEmulator } from '../../src/emulators/hubspot/index.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { allRecords } from '../support/records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';

interface CollectionCounts {
  collection_id: string;
  changes_fetched: number;
  requests_made: number;
  delete_detection_requests: number;
}

const collectionOf = (status: { collections: CollectionCounts[] }, id: string): CollectionCounts => {
  const found = status.collections.find((c) => c.collection_id === id);
  if (!found) throw new Error(`no collection ${id} in the status`);
  return found;
};

const sumOfRequests = (status: { collections: CollectionCounts[] }) => status.collections.reduce((sum, c) => sum + c.requests_made, 0);

/**
 * Pauses the sync and answers its status once the run's last flush is in: every request the
 * upstream saw is counted, and nothing moves any more. A request the pause aborted may be counted
 * (it was sent) although it never reached the upstream: at most one per collection.
 */
async function pauseAndSettle(api: RestClient, syncId: string, upstreamRequests: () => number): Promise<{ collections: CollectionCounts[]; requests_made: number }> {
  expect((await api.post(`/v1/syncs/${syncId}/pause`)).status).toBe(200);
  let previous = -1;
  const settled = await waitFor(
    async () => {
      const status = await syncStatus(api, syncId);
      const counted = sumOfRequests(status);
      const still = counted === previous;
      previous = counted;
      if (!still) await new Promise((resolve) => setTimeout(resolve, 2_500)); // longer than a flush interval
      return status.state === 'paused' && still && counted >= upstreamRequests() && status.requests_made === counted ? status : null;
    },
    30_000,
    'the paused run to have flushed every request the upstream saw',
  );
  expect(sumOfRequests(settled)).toBeLessThanOrEqual(upstreamRequests() + settled.collections.length);
  return settled;
}

/** Issue 27, item 8: a quiet sync's requests show what they were spent on. */
describe('requests spent on delete detection are counted per collection', () => {
  let server: TestServer;
  let api: RestClient;

  beforeAll(async () => {
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe('GitHub', () => {
    let emulator: GitHubEmulator;
    beforeAll(async () => {
      // Two repositories of 150 issues and pull requests each: more than one page, so every poll
      // reads one of them in full (round robin) to find deleted issues.
      emulator = await startGitHubEmulator({ objects: 150, repositories: 2, randomSeed: 11 });
    });
    afterAll(async () => {
      await emulator?.close();
    });

    it('grows delete_detection_requests of issues while nothing changes upstream and changes_fetched stays 0', async () => {
      const credential = await api.post('/v1/credentials', { kind: 'github', access_token: emulator.token, api_base_url: emulator.url });
      const sync = await api.post('/v1/syncs', {
        provider: 'github',
        name: 'quiet',
        collection_ids: ['github:repository', 'github:issue', 'github:pull_request'],
        credential_id: credential.body.id,
        poll_interval_ms: 200,
      });
      expect(sync.status).toBe(201);
      const syncId = sync.body.id as string;
      await waitForBackfill(api, syncId, 60_000);

      const first = await waitFor(async () => {
        const status = await syncStatus(api, syncId);
        return collectionOf(status, 'github:issue').delete_detection_requests > 0 ? status : null;
      }, 30_000, 'a first delete detection read to be counted');
      const later = await waitFor(async () => {
        const status = await syncStatus(api, syncId);
        return collectionOf(status, 'github:issue').delete_detection_requests >= collectionOf(first, 'github:issue').delete_detection_requests + 6 ? status : null;
      }, 30_000, 'more delete detection reads');

      for (const status of [first, later]) {
        for (const c of status.collections as CollectionCounts[]) {
          expect(c.changes_fetched, c.collection_id).toBe(0);
          expect(c.requests_made, c.collection_id).toBeGreaterThanOrEqual(c.delete_detection_requests);
        }
        // The repository listing and the pull requests' reads are their change feeds.
        expect(collectionOf(status, 'github:repository').delete_detection_requests).toBe(0);
        expect(collectionOf(status, 'github:pull_request').delete_detection_requests).toBe(0);
      }
      const issues = collectionOf(later, 'github:issue');
      // The scans (one request per repository and poll) are not delete detection.
      expect(issues.requests_made).toBeGreaterThan(issues.delete_detection_requests);
      expect(collectionOf(later, 'github:pull_request').requests_made).toBeGreaterThan(collectionOf(first, 'github:pull_request').requests_made);

      const gql = graphqlClient(server.url, ROOT_TOKEN);
      const answer = await gql<{ sync: { status: { collections: Array<{ collectionId: string; changesFetched: number; requestsMade: number; deleteDetectionRequests: number }> } } }>(
        'query($id: ID!) { sync(id: $id) { status { collections { collectionId changesFetched requestsMade deleteDetectionRequests } } } }',
        { id: syncId },
      );
      expect(answer.errors).toBeUndefined();
      const viaGraphql = answer.data.sync.status.collections.find((c) => c.collectionId === 'github:issue')!;
      expect(viaGraphql.changesFetched).toBe(0);
      expect(viaGraphql.deleteDetectionRequests).toBeGreaterThanOrEqual(issues.delete_detection_requests);
      expect(viaGraphql.requestsMade).toBeGreaterThanOrEqual(issues.requests_made);

      // Every request the emulator saw is counted under exactly one collection.
      await pauseAndSettle(api, syncId, () => emulator.requestLog.length);
    }, 120_000);
  });

  describe('HubSpot', () => {
    let emulator: HubSpotEmulator;
    beforeAll(async () => {
      emulator = await startHubSpotEmulator({ seed: { contact: 30, company: 0, deal: 0 }, randomSeed: 3 });
    });
    afterAll(async () => {
      await emulator?.close();
    });

    it('counts the archived listings as delete detection, and a delete still arrives', async () => {
      const credential = await api.post('/v1/credentials', { kind: 'hubspot', access_token: emulator.privateAppToken, api_base_url: emulator.url });
      expect(credential.status).toBe(201);
      const sync = await api.post('/v1/syncs', { provider: 'hubspot', name: 'archived', collection_ids: ['hubspot:contact'], credential_id: credential.body.id, poll_interval_ms: 200 });
      expect(sync.status).toBe(201);
      const syncId = sync.body.id as string;
      await waitForBackfill(api, syncId, 60_000);
      const quiet = await waitFor(async () => {
        const status = await syncStatus(api, syncId);
        return collectionOf(status, 'hubspot:contact').delete_detection_requests >= 3 ? status : null;
      }, 30_000, 'archived listings to be counted');
      expect(collectionOf(quiet, 'hubspot:contact').changes_fetched).toBe(0);

      const gone = emulator.objects('contact')[0]!.id as string;
      const archived = await fetch(`${emulator.url}/crm/v3/objects/contacts/${gone}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulator.privateAppToken}` } });
      expect(archived.status).toBe(204);
      await waitFor(async () => {
        const records = await allRecords(api, syncId, 'hubspot:contact');
        return records.some((r) => r.upstream_id === gone && r.deleted) ? true : null;
      }, 30_000, 'the tombstone of the archived contact');

      // The test's own DELETE is in the emulator's log too.
      const settled = await pauseAndSettle(api, syncId, () => emulator.requestLog.length - 1);
      const contacts = collectionOf(settled, 'hubspot:contact');
      // The archived listings the emulator answered; everything else (backfill, searches) is not delete detection.
      const archivedListings = emulator.requestLog.filter((r) => r.method === 'GET' && r.path === '/crm/v3/objects/contacts' && new URLSearchParams(r.query).get('archived') === 'true').length;
      expect(archivedListings).toBeGreaterThan(3);
      expect(contacts.delete_detection_requests).toBeGreaterThanOrEqual(archivedListings);
      expect(contacts.delete_detection_requests).toBeLessThanOrEqual(archivedListings + 1); // one the pause may have aborted
      expect(contacts.requests_made).toBeGreaterThan(contacts.delete_detection_requests);
      expect(contacts.changes_fetched).toBe(1);
    }, 120_000);
  });
});
