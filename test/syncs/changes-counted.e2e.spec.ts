import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../../src/emulators/github/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';

/** GitHub has no change feed: polls re-list and scan. Status counts what changed, not what was listed. */
describe('changes_fetched counts versions written', () => {
  let server: TestServer;
  let emulator: GitHubEmulator;
  let api: RestClient;

  beforeAll(async () => {
    emulator = await startGitHubEmulator({ objects: 200, randomSeed: 7 });
    server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100' });
    api = restClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('stays put across polls that find nothing new, and grows by what did change', async () => {
    const credential = await api.post('/v1/credentials', { kind: 'github', access_token: emulator.token, api_base_url: emulator.url });
    const sync = await api.post('/v1/syncs', { provider: 'github', name: 'counted', collection_ids: ['github:repository', 'github:issue', 'github:pull_request'], credential_id: credential.body.id, poll_interval_ms: 200 });
    expect(sync.status).toBe(201);
    await waitForBackfill(api, sync.body.id, 60_000);
    const repositories = (status: any) => status.collections.find((c: { collection_id: string }) => c.collection_id === 'github:repository');

    // Several polls re-list repositories and scan issues and pull requests; nothing changed upstream.
    const before = await syncStatus(api, sync.body.id);
    const quiet = await waitFor(async () => {
      const status = await syncStatus(api, sync.body.id);
      return status.requests_made >= before.requests_made + 40 ? status : null;
    }, 30_000, 'forty more requests');
    const counts = (status: any) =>
      Object.fromEntries(status.collections.map((c: { collection_id: string; changes_fetched: number; last_change_at: string | null }) => [c.collection_id, [c.changes_fetched, c.last_change_at]]));
    expect(counts(quiet)).toEqual(counts(before));

    const repo = emulator.objects('repository')[0]!;
    const patched = await fetch(`${emulator.url}/repos/${String(repo.full_name)}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'changed upstream' }),
    });
    expect(patched.status).toBe(200);
    const changed = await waitFor(async () => {
      const status = await syncStatus(api, sync.body.id);
      return repositories(status).changes_fetched > repositories(quiet).changes_fetched ? status : null;
    }, 30_000, 'the change to be counted');
    expect(repositories(changed).changes_fetched).toBe(repositories(quiet).changes_fetched + 1);
    expect(Date.parse(repositories(changed).last_change_at)).toBeGreaterThan(Date.parse(repositories(quiet).last_change_at ?? '1970-01-01T00:00:00Z'));
  }, 120_000);
});
