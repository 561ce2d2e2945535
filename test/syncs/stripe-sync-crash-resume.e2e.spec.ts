import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { READ_AHEAD_PAGES } from '../../src/sync/sync-runner.ts';
import { restClient } from '../support/api.ts';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { allRecords } from '../support/records.ts';
import { ROOT_TOKEN, TEST_SECRET_KEY } from '../support/server.ts';
import { createStripeSync, differencesFromUpstream, syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';

const CUSTOMERS = 5000;
const PAGES = CUSTOMERS / 100;

describe('a server killed mid-backfill', () => {
  let emulator: StripeEmulator;
  let database: TestDatabase;
  let server: ChildServer | null = null;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: CUSTOMERS }, randomSeed: 3 });
    database = await createTestDatabase();
  });

  afterAll(async () => {
    if (server) await stopServer(server.child, 'SIGKILL');
    await emulator?.close();
    await database?.drop();
  });

  it('resumes the backfill from its last checkpoint after SIGKILL and ends with exactly the upstream set', async () => {
    const port = randomPort();
    const env = { DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY };
    server = await spawnServer(env, port);
    const api = restClient(server.url, ROOT_TOKEN);
    // Slow enough that the kill lands well inside the backfill.
    const { sync } = await createStripeSync(api, emulator, {
      collections: ['customer'],
      rateLimit: { allowed_requests: 8, interval: 1, max_concurrent_requests: 1 },
    });
    const progress = await waitFor(async () => {
      const status = await syncStatus(api, sync.id);
      return status.collections[0].backfill.pages >= 10 ? status.collections[0].backfill : null;
    }, 60_000, 'ten backfill pages');
    expect(progress.done).toBe(false);

    expect(await stopServer(server.child, 'SIGKILL')).toBeNull();
    const killedAt = performance.timeOrigin + performance.now();
    const firstPagesBeforeKill = listRequests(emulator).filter((r) => !r.startingAfter).length;
    expect(firstPagesBeforeKill).toBe(1);

    server = await spawnServer(env, port);
    const status = await waitForBackfill(api, sync.id, 120_000);
    expect(status.collections[0].backfill).toMatchObject({ done: true, records: expect.any(Number) });

    const afterRestart = listRequests(emulator).filter((r) => r.startedAt > killedAt);
    expect(afterRestart.length).toBeGreaterThan(0);
    // No restart from page one: every listing after the kill continues from a cursor...
    expect(afterRestart.filter((r) => !r.startingAfter)).toEqual([]);
    // ...and only the pages in flight at the kill (those being written and those read ahead) are fetched twice.
    expect(listRequests(emulator).filter((r) => r.status === 200).length).toBeLessThanOrEqual(PAGES + 2 * READ_AHEAD_PAGES);

    const records = await allRecords(api, sync.id);
    expect(records.length).toBe(CUSTOMERS);
    expect(await differencesFromUpstream(api, sync.id, emulator, ['customer'])).toEqual([]);
  }, 240_000);
});

/** The emulator's customer listing requests with their `starting_after` cursor. */
function listRequests(emulator: StripeEmulator) {
  return emulator.requestLog
    .filter((entry) => entry.method === 'GET' && entry.path === '/v1/customers')
    .map((entry) => ({ ...entry, startingAfter: new URLSearchParams(entry.query).get('starting_after') }));
}
