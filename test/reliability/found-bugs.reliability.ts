/**
 * Every bug this suite found, as a test of the correct behaviour (support/known-bugs.ts). Fixed
 * ones run as ordinary regression tests. Open ones (their fix is outside the suite's files) are
 * marked `it.fails`: they pass while the bug is there; when a fix lands the test fails — then drop
 * `.fails` and move the entry from KNOWN_BUGS to FIXED_BUGS.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSyncProgress } from '../../src/commands/syncs.ts';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient, restClient, type RestClient } from '../support/api.ts';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ROOT_TOKEN, startTestServer, TEST_SECRET_KEY } from '../support/server.ts';
import { createStripeSync, differencesFromUpstream, syncStatus, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { FIXED_BUGS, KNOWN_BUGS } from './support/known-bugs.ts';

describe('bugs found by the reliability suite', () => {
  let database: TestDatabase;
  let server: ChildServer;
  let emulator: StripeEmulator;
  let api: RestClient;
  let gql: ReturnType<typeof graphqlClient>;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 250 }, randomSeed: 5 });
    database = await createTestDatabase();
    // A real process: a crash is seen as one, and graphql resolves to one build as in production.
    // SYNCLINE_MIN_POLL_INTERVAL_MS: a sync here polls every 300 ms to keep the file quick.
    server = await spawnServer(
      { DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'warn', SYNCLINE_MIN_POLL_INTERVAL_MS: '100' },
      randomPort(),
    );
    api = restClient(server.url, ROOT_TOKEN);
    gql = graphqlClient(server.url, ROOT_TOKEN);
  });

  afterAll(async () => {
    if (server) await stopServer(server.child, 'SIGKILL');
    await emulator?.close();
    await database?.drop();
  });

  const post = (path: string, body: string) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ROOT_TOKEN}` }, body });

  describe('open (reported; the fix is outside the suite)', () => {
    it(`checkpoint-append-race (fixed): ${KNOWN_BUGS['checkpoint-append-race']}`, async () => {
      // In-process, to call the checkpoint command directly, as six collections of a sync do at once.
      const app = await startTestServer({ LOG_LEVEL: 'silent' }, { disableSyncs: true });
      try {
        const local = restClient(app.url, ROOT_TOKEN);
        const credential = await local.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_x', api_base_url: 'http://127.0.0.1:9' });
        const collections = ['customer', 'product', 'price', 'subscription', 'invoice', 'charge'].map((c) => `stripe:${c}`);
        const sync = await local.post('/v1/syncs', { provider: 'stripe', collection_ids: collections, credential_id: credential.body.id });
        const accountId = (await local.get('/v1/account')).body.id as string;
        const failures: string[] = [];
        for (let round = 0; round < 5; round++) {
          const results = await Promise.allSettled(
            collections.map((collectionId) =>
              recordSyncProgress(app.app.ctx, {
                type: 'RecordChanges',
                data: { syncId: sync.body.id, accountId, generation: 0, collectionId, cursor: `{"t":${round},"ids":[]}`, changes: 0 },
                metadata: { now: new Date() },
              } as Parameters<typeof recordSyncProgress>[1]),
            ),
          );
          for (const result of results) if (result.status === 'rejected') failures.push(String((result.reason as Error).message));
        }
        expect(failures).toEqual([]);
      } finally {
        await app.stop();
      }
    });
  });

  describe('fixed (regression tests): bad input', () => {
    it(`graphql-node-internal: ${FIXED_BUGS['graphql-node-internal']}`, async () => {
      const answer = await gql('query($id: ID!) { node(id: $id) { id } }', { id: Buffer.from('Stream:abc').toString('base64') });
      expect(answer.errors?.[0]?.extensions?.code).not.toBe('internal');
    });

    it(`deep-json-500: ${FIXED_BUGS['deep-json-500']}`, async () => {
      for (const body of ['['.repeat(3000) + ']'.repeat(3000), `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`]) {
        const answer = await post('/v1/streams', body);
        expect(answer.status).toBe(400);
      }
    });

    it(`nul-in-query-500: ${FIXED_BUGS['nul-in-query-500']}`, async () => {
      for (const action of ['receive', 'ack', 'nack']) {
        const answer = await post(`/api/http_pull_consumers/a%00b/${action}`, action === 'receive' ? '{}' : '{"ack_ids":["x"]}');
        expect(answer.status).toBe(404);
      }
      const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_x', api_base_url: 'http://127.0.0.1:9' });
      const sync = await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: credential.body.id });
      const answer = await gql('query($s: ID!, $c: String) { records(syncId: $s, collectionId: $c, first: 1) { edges { cursor } } }', { s: sync.body.id, c: 'a\u0000' });
      expect(answer.errors?.[0]?.extensions?.code).not.toBe('internal');
    });

    it(`message-history-nul-500: ${FIXED_BUGS['message-history-nul-500']}`, async () => {
      const stream = await api.post('/v1/streams', { name: 'nul-history' });
      const consumer = await api.post('/v1/http-consumers', { name: 'nul-history', stream_id: stream.body.id });
      const answer = await api.get(`/v1/http-consumers/${consumer.body.id}/messages/a%00b`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ leases: [], history: [] });
    });

    it(`secret-hint-surrogate-500: ${FIXED_BUGS['secret-hint-surrogate-500']}`, async () => {
      const secret = '🙂'.repeat(10);
      expect((await api.post('/v1/oauth-apps', { provider: 'stripe', client_id: 'emoji', client_secret: secret })).status).toBe(201);
      expect((await api.post('/v1/credentials', { kind: 'stripe', secret })).status).toBe(201);
    });
  });

  describe('fixed (regression tests): sync engine', () => {
    /** A draft invoice paid in one call (invoice.finalized and invoice.paid in the same second), then a new sync of invoices. */
    async function sameSecondScenario(seed: number) {
      const invoices = await startStripeEmulator({ seed: { customer: 20, invoice: 10 }, randomSeed: seed });
      const draft = invoices.objects('invoice').find((i) => i.status === 'draft')!;
      const paid = await fetch(`${invoices.url}/v1/invoices/${draft.id}/pay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${invoices.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'paid_out_of_band=true',
      });
      expect(paid.status).toBe(200);
      // The sync's changes cursor starts at invoice.paid, the newest event.
      const { sync } = await createStripeSync(api, invoices, { collections: ['invoice'], pollIntervalMs: 300 });
      await waitForBackfill(api, sync.id, 30_000);
      await new Promise((r) => setTimeout(r, 1_500)); // a few polls
      return { invoices, syncId: sync.id };
    }

    it(`initial-cursor-same-second: ${FIXED_BUGS['initial-cursor-same-second']}`, async () => {
      const { invoices, syncId } = await sameSecondScenario(3);
      try {
        expect(await differencesFromUpstream(api, syncId, invoices, ['invoice'])).toEqual([]);
      } finally {
        await invoices.close();
      }
    }, 60_000);
  });

  describe('fixed (regression tests)', () => {
    it(`resync-loses-deletes: ${FIXED_BUGS['resync-loses-deletes']}`, async () => {
      // Polls far apart: the delete below is not polled before the resync.
      const { sync } = await createStripeSync(api, emulator, { collections: ['customer'], pollIntervalMs: 600_000 });
      await waitForBackfill(api, sync.id, 60_000);
      const victim = emulator.objects('customer')[0]!.id as string;
      const deleted = await fetch(`${emulator.url}/v1/customers/${victim}`, { method: 'DELETE', headers: { authorization: `Bearer ${emulator.apiKey}` } });
      expect(deleted.status).toBe(200);
      expect((await api.post(`/v1/syncs/${sync.id}/resync`)).status).toBe(200);
      await waitFor(async () => {
        const customers = (await syncStatus(api, sync.id)).collections[0];
        // The new backfill is done and its first poll (right after it) happened.
        return customers.backfill.done && customers.last_poll_at && customers.last_poll_at >= customers.backfill.completed_at;
      }, 60_000, 'the resync to complete');
      await waitFor(async () => (await differencesFromUpstream(api, sync.id, emulator, ['customer'])).length === 0, 10_000, 'the deleted customer to be a tombstone').catch(
        async (error: Error) => {
          throw new Error(`${error.message}: ${(await differencesFromUpstream(api, sync.id, emulator, ['customer'])).join('; ')}`);
        },
      );
    }, 90_000);

    it(`rest-double-slash-crash: ${FIXED_BUGS['rest-double-slash-crash']}`, async () => {
      for (const target of ['//', '///', '//%2F']) {
        const answer = await fetch(`${server.url}${target}`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, (e: Error) => `no answer (${e.message})`);
        expect(answer).toBe(404);
      }
      expect(server.child.exitCode).toBeNull();
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });

    it(`json-unicode-500: ${FIXED_BUGS['json-unicode-500']}`, async () => {
      expect((await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_x', metadata: { note: 'a\u0000b' } })).status).toBe(400);
      expect((await api.post('/v1/oauth-apps', { provider: '\udfff', client_id: 'x', client_secret: 'y' })).status).toBe(400);
    });

    it(`compat-ref-500: ${FIXED_BUGS['compat-ref-500']}`, async () => {
      expect((await api.post(`/api/http_pull_consumers/${'-'.repeat(36)}/receive`, { batch_size: 1 })).status).toBe(404);
    });

    it(`graphql-coercion-internal: ${FIXED_BUGS['graphql-coercion-internal']}`, async () => {
      const answer = await gql('query($f: Int) { streams(first: $f) { edges { node { id } } } }', { f: 'x' });
      expect(answer.errors?.[0]?.extensions?.code).toBe('validation_failed');
      expect(answer.errors?.[0]?.message).toMatch(/Int cannot represent/);
    });

    it(`graphql-connection-args-internal: ${FIXED_BUGS['graphql-connection-args-internal']}`, async () => {
      for (const args of ['first: -1', 'before: "a", after: "b"', 'after: "not a cursor"']) {
        const answer = await gql(`{ streams(${args}) { edges { node { id } } } }`);
        expect(answer.errors?.[0]?.extensions?.code).toBe('validation_failed');
      }
    });

    it(`graphql-node-unknown-internal: ${FIXED_BUGS['graphql-node-unknown-internal']}`, async () => {
      expect(await gql('query($id: ID!) { node(id: $id) { id } }', { id: Buffer.from(`Stream:${randomUUID()}`).toString('base64') })).toEqual({ data: { node: null } });
      for (const id of ['garbage', Buffer.from('Nope:1').toString('base64'), Buffer.from(`ApiToken:${randomUUID()}`).toString('base64')]) {
        const answer = await gql('query($id: ID!) { node(id: $id) { id } }', { id });
        expect(answer.data?.node ?? null).toBeNull();
        expect(answer.errors?.[0]?.extensions?.code).not.toBe('internal');
      }
    });

    it(`graphql-records-unknown-sync: ${FIXED_BUGS['graphql-records-unknown-sync']}`, async () => {
      const answer = await gql('query($id: ID!) { records(syncId: $id, first: 5) { edges { node { upstreamId } } } }', { id: randomUUID() });
      expect(answer.errors?.[0]?.extensions?.code).toBe('not_found');
    });

    it(`graphql-oauth-app-global-id: ${FIXED_BUGS['graphql-oauth-app-global-id']}`, async () => {
      const app = await api.post('/v1/oauth-apps', { provider: 'stripe', client_id: 'found-bugs', client_secret: 'found-bugs-secret' });
      expect(app.status).toBe(201);
      const globalId = Buffer.from(`OAuthApp:${app.body.id}`).toString('base64');
      const created = await gql('mutation($id: ID!) { createCredential(input: { kind: "stripe", secret: "sk_test_x", oauthAppId: $id }) { oauthAppId } }', { id: globalId });
      expect(created).toEqual({ data: { createCredential: { oauthAppId: app.body.id } } });
    });
  });
});
