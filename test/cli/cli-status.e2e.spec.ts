import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { runCli } from '../support/cli.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../support/free-port.ts';

describe('syncline status: syncs and consumers with state and lag', () => {
  let emulator: StripeEmulator;
  let server: TestServer;
  let api: RestClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 25 }, randomSeed: 7 });
    server = await startTestServer();
    api = restClient(server.url, ROOT_TOKEN);
    env = { SYNCLINE_URL: server.url, SYNCLINE_TOKEN: ROOT_TOKEN };
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
  });

  it('--json: a backfilled sync and an HTTP consumer with its pending count; exit 0 with no sync in error', async () => {
    const { sync } = await createStripeSync(api, emulator, { collections: ['customer'] });
    await waitForBackfill(api, sync.id, 30_000);
    expect((await api.post('/v1/http-consumers', { name: 'app', sync_id: sync.id })).status).toBe(201);

    const result = await runCli(['status', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const status = JSON.parse(result.stdout);
    expect(status.syncs_in_error).toBe(0);
    expect(status.syncs).toEqual([
      expect.objectContaining({
        id: sync.id,
        name: 'stripe emulator',
        provider: 'stripe',
        state: 'active',
        backfill_percent: 100,
        records: 25,
        last_error: null,
        collections: [{ collection_id: 'stripe:customer', records: 25, backfill_done: true, backfill_percent: 100 }],
      }),
    ]);
    expect(status.consumers).toEqual([expect.objectContaining({ kind: 'http', name: 'app', num_pending: 25, num_ack_pending: 0, num_dead: 0 })]);

    const human = await runCli(['status'], env);
    expect(human.code).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^SYNC\s+PROVIDER\s+STATE\s+BACKFILL\s+RECORDS\s+LAST ERROR\s+ID$/);
    expect(lines[1]).toMatch(new RegExp(`^stripe emulator\\s+stripe\\s+active\\s+100%\\s+25\\s+-\\s+${sync.id}$`));
    expect(human.stdout).toMatch(/^CONSUMER\s+KIND\s+PENDING\s+ACK PENDING\s+DEAD\s+LAG\s+STATE$/m);
    expect(human.stdout).toMatch(/^app\s+http\s+25\s+0\s+0\s+-\s+-$/m);
  });

  it('a sync in error (its upstream refuses connections): status prints everything and exits 1', async () => {
    const port = await freePort();
    const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_refusedconnection01', api_base_url: `http://127.0.0.1:${port}`, name: 'nowhere' });
    const broken = await api.post('/v1/syncs', { provider: 'stripe', name: 'nowhere', collection_ids: ['stripe:customer'], credential_id: credential.body.id });
    expect(broken.status).toBe(201);
    await waitFor(async () => (await syncStatus(api, broken.body.id)).state === 'error', 30_000, 'the sync to be in error');

    const json = await runCli(['status', '--json'], env);
    expect(json.code).toBe(1);
    const status = JSON.parse(json.stdout);
    expect(status.syncs_in_error).toBe(1);
    expect(status.syncs.find((s: { id: string }) => s.id === broken.body.id)).toMatchObject({ state: 'error', last_error: { code: 'upstream_error' } });
    expect(json.stderr).toBe('1 sync in error: nowhere (upstream_error)\n');

    const human = await runCli(['status'], env);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^nowhere\s+stripe\s+error\s+0\/1 done\s+0\s+upstream_error\s+/m);
    expect(human.stdout).toMatch(/^stripe emulator\s+stripe\s+active/m);
  });

  it('--all-accounts: the root token sees every account\'s syncs; another account\'s token is refused in one line', async () => {
    const account = await api.post('/v1/accounts', { name: 'tenant' });
    expect(account.status).toBe(201);
    const tenantToken = account.body.api_token.token as string;

    const root = await runCli(['status', '--all-accounts'], env);
    expect(root.code).toBe(1); // the sync of the test above is still in error
    expect(root.stdout.split('\n')[0]).toMatch(/^ACCOUNT\s+SYNC\s+PROVIDER\s+STATE/);

    const tenant = await runCli(['status', '--all-accounts'], { ...env, SYNCLINE_TOKEN: tenantToken });
    expect(tenant.code).toBe(1);
    expect(tenant.stderr).toMatch(/^error: the server answered 403 forbidden: only the root token lists the syncs of other accounts\n$/);

    const own = await runCli(['status', '--json'], { ...env, SYNCLINE_TOKEN: tenantToken });
    expect(own.code, own.stderr).toBe(0);
    expect(JSON.parse(own.stdout)).toEqual({ syncs: [], consumers: [], syncs_in_error: 0 });
  });
});
