/**
 * Hardening, finding 4 (issue 21) — SSRF: a tenant makes the server connect to internal
 * addresses and reads what came back. A child server allows only `127.0.0.1/32`
 * (SYNCLINE_EGRESS_ALLOW), so 127.0.0.2 is an internal address here: a fake internal service
 * listens there (its answer carries a fake secret; it counts connections). A non-root account
 * aims credentials, OAuth token endpoints and NATS consumers at it, directly, through a redirect,
 * through a DNS name and through DNS rebinding (`support/fake-dns-preload.ts`). Nothing may reach
 * it, and neither the fake secret nor an upstream's error body may come back in an answer.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ROOT_TOKEN, TEST_SECRET_KEY } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';
import { reportFigures } from './support/report.ts';

const FAKE_SECRET = 'FAKE-INTERNAL-SECRET-4f2c9e';
const LEAK_MARKER = 'UPSTREAM-BODY-MARKER-81d3a7';
const CREDENTIAL_SECRET = 'pat-na1-egress-credential-secret-0001';
const CLIENT_SECRET = 'oauth-client-secret-egress-0002';
const CHILD_NODE_ARGS = ['--import', 'tsx', '--import', './test/reliability/support/fake-dns-preload.ts', 'src/main.ts'];

interface FakeHttp {
  server: Server;
  host: string;
  port: number;
  url: string;
  connections: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

async function fakeHttp(host: string, handle: (req: IncomingMessage, res: ServerResponse, body: string) => void, port = 0): Promise<FakeHttp> {
  const fake = { host, connections: 0, requests: [] } as unknown as FakeHttp;
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      fake.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  server.on('connection', () => fake.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  fake.server = server;
  fake.port = (server.address() as { port: number }).port;
  fake.url = `http://${host}:${fake.port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()).closeAllConnections());
  return fake;
}

const textAnswer = (status: number, text: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
  res.end(text);
};

describe('hardening: egress policy (SSRF)', () => {
  let database: TestDatabase;
  let server: ChildServer;
  let tenant: RestClient;
  let anonymous: RestClient;
  /** Everything the tenant (or an anonymous caller) was answered, to search for secrets. */
  const answers: string[] = [];
  let internal: FakeHttp;
  let innocent: FakeHttp;
  let redirector: FakeHttp;
  let leaky: FakeHttp;
  let tokenEndpoint: FakeHttp;
  let fakeNats: NetServer;
  let fakeNatsPort = 0;
  let fakeNatsConnections = 0;

  const record = <T extends { status: number; body: unknown }>(answer: T): T => {
    answers.push(JSON.stringify(answer.body));
    return answer;
  };

  beforeAll(async () => {
    internal = await fakeHttp('127.0.0.2', textAnswer(400, `internal admin: ${FAKE_SECRET}`));
    // Same port on 127.0.0.1: what `rebind.test` reaches when it resolves to the allowed address.
    innocent = await fakeHttp('127.0.0.1', (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ status: 'error', message: 'innocent upstream', category: 'VALIDATION_ERROR' }));
    }, internal.port);
    redirector = await fakeHttp('127.0.0.1', (req, res) => {
      res.writeHead(302, { location: `${internal.url}${req.url}`, connection: 'close' });
      res.end();
    });
    leaky = await fakeHttp('127.0.0.1', textAnswer(400, `<html>proxy error, upstream trace ${LEAK_MARKER}</html>`));
    tokenEndpoint = await fakeHttp('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `at-${tokenEndpoint.requests.length}`, refresh_token: `rt-${tokenEndpoint.requests.length}`, expires_in: 1800 }));
    });
    fakeNats = createNetServer((socket) => {
      fakeNatsConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => fakeNats.listen(0, '127.0.0.2', () => resolve()));
    fakeNatsPort = (fakeNats.address() as { port: number }).port;

    database = await createTestDatabase();
    server = await spawnServer(
      { DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'info', SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32' },
      randomPort(),
      CHILD_NODE_ARGS,
    );
    const account = await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'egress-tenant' });
    expect(account.status, JSON.stringify(account.body)).toBe(201);
    tenant = restClient(server.url, account.body.api_token.token);
    anonymous = restClient(server.url, null);
  });

  afterAll(async () => {
    if (server) await stopServer(server.child, 'SIGKILL');
    await database?.drop();
    for (const fake of [internal, innocent, redirector, leaky, tokenEndpoint]) await fake?.close();
    await new Promise((resolve) => fakeNats?.close(resolve));
    reportFigures('hardening-egress', {
      internal_connections: internal?.connections ?? -1,
      internal_nats_connections: fakeNatsConnections,
      token_endpoint_requests: tokenEndpoint?.requests.length ?? -1,
    });
  });

  /** A HubSpot credential (private-app token) at `apiBaseUrl` and a sync of its contacts. */
  async function hubspotSync(name: string, apiBaseUrl: string): Promise<string> {
    const credential = record(await tenant.post('/v1/credentials', { kind: 'hubspot', name, secret: CREDENTIAL_SECRET, api_base_url: apiBaseUrl }));
    expect(credential.status, JSON.stringify(credential.body)).toBe(201);
    const sync = record(
      await tenant.post('/v1/syncs', { provider: 'hubspot', name, collection_ids: ['hubspot:contact'], credential_id: credential.body.id, poll_interval_ms: 1000 }),
    );
    expect(sync.status, JSON.stringify(sync.body)).toBe(201);
    return sync.body.id as string;
  }

  /** The sync's `last_error` once it has one matching `pattern`. */
  async function syncError(syncId: string, pattern: RegExp): Promise<{ code: string; message: string }> {
    return waitFor(
      async () => {
        const status = record(await tenant.get(`/v1/syncs/${syncId}/status`));
        const error = status.body.last_error as { code: string; message: string } | null;
        return error && pattern.test(error.message) ? error : null;
      },
      20_000,
      `sync ${syncId} to fail with ${pattern}`,
    ).catch(async (failure: Error) => {
      const status = await tenant.get(`/v1/syncs/${syncId}/status`);
      throw new Error(`${failure.message}; last_error: ${JSON.stringify(status.body.last_error)}`);
    });
  }

  it('(1) a credential aimed at an internal address: the sync fails naming the egress policy, the service is never contacted', async () => {
    const syncId = await hubspotSync('direct', internal.url);
    const error = await syncError(syncId, /egress policy/);
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain('127.0.0.2');
    // The Stripe SDK path, at the same address spelt as an IPv4-mapped IPv6 literal.
    const stripeCredential = record(await tenant.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_egress', api_base_url: `http://[::ffff:127.0.0.2]:${internal.port}` }));
    expect(stripeCredential.status).toBe(201);
    const stripeSync = record(await tenant.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: stripeCredential.body.id }));
    expect(stripeSync.status).toBe(201);
    await syncError(stripeSync.body.id, /egress policy/);
    expect(internal.connections).toBe(0);
    expect(answers.join('\n')).not.toContain(FAKE_SECRET);
  });

  it('(2) an allowed upstream redirecting to an internal address: the redirect is not followed there', async () => {
    const before = redirector.requests.length;
    const syncId = await hubspotSync('redirected', redirector.url);
    await syncError(syncId, /egress policy/);
    expect(redirector.requests.length).toBeGreaterThan(before);
    expect(internal.connections).toBe(0);
    expect(answers.join('\n')).not.toContain(FAKE_SECRET);
  });

  it('(3) a host name resolving to an internal address is refused after resolution, and DNS rebinding cannot slip past the check', async () => {
    const syncId = await hubspotSync('by-name', `http://internal.test:${internal.port}`);
    const error = await syncError(syncId, /egress policy/);
    expect(error.message).toContain('internal.test');

    // `rebind.test` answers 127.0.0.1 and 127.0.0.2 in turn: every connection must go where its own check looked.
    const rebindId = await hubspotSync('rebinding', `http://rebind.test:${internal.port}`);
    await waitFor(async () => innocent.connections + internal.connections >= 3, 30_000, 'three connections to the rebinding name');
    expect(internal.connections).toBe(0);
    await syncError(rebindId, /egress policy|innocent upstream/);
    expect(server.output()).toMatch(/egress policy refused/);
    expect(answers.join('\n')).not.toContain(FAKE_SECRET);
  });

  it('(4) OAuth: a replayed callback state is refused without a second token request; a token endpoint at an internal address is refused', async () => {
    const app = record(await tenant.post('/v1/oauth-apps', { provider: 'hubspot', client_id: 'egress-client', client_secret: CLIENT_SECRET }));
    expect(app.status).toBe(201);
    const callbackUrl = `${server.url}/v1/oauth/hubspot/callback`;
    const authorize = async (apiBaseUrl: string) => {
      const started = record(await tenant.get(`/v1/oauth/hubspot/authorize?${new URLSearchParams({ oauth_app_id: app.body.id, redirect_uri: callbackUrl, api_base_url: apiBaseUrl })}`));
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      return started.body.state as string;
    };
    const callback = async (state: string) => record(await anonymous.get(`/v1/oauth/hubspot/callback?${new URLSearchParams({ state, code: 'egress-code' })}`));

    const state = await authorize(tokenEndpoint.url);
    const first = await callback(state);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(tokenEndpoint.requests).toHaveLength(1);
    for (let replay = 0; replay < 3; replay++) {
      const again = await callback(state);
      expect(again.status, JSON.stringify(again.body)).toBeGreaterThanOrEqual(400);
      expect(again.status).toBeLessThan(500);
      expect(again.body.error.code).toBe('oauth_state_used');
    }
    expect(tokenEndpoint.requests).toHaveLength(1);

    const internalState = await authorize(internal.url);
    const refused = await callback(internalState);
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body.error.code).toBe('egress_refused');
    expect(refused.body.error.message).toMatch(/egress policy/);
    expect(internal.connections).toBe(0);
    expect(internal.requests.some((r) => r.body.includes(CLIENT_SECRET))).toBe(false);
    expect(answers.join('\n')).not.toContain(FAKE_SECRET);
  });

  it('(5) NATS consumers: an internal literal address is refused at create, an internal name at connect (no connection made)', async () => {
    const stream = record(await tenant.post('/v1/streams', { name: 'egress-nats' }));
    expect(stream.status).toBe(201);
    const literal = record(
      await tenant.post('/v1/nats_consumers', { name: 'literal', stream_id: stream.body.id, subject_prefix: 'egress.literal', nats: { host: '127.0.0.2', port: fakeNatsPort } }),
    );
    expect(literal.status, JSON.stringify(literal.body)).toBe(422);
    expect(literal.body.error.code).toBe('egress_refused');

    const named = record(
      await tenant.post('/v1/nats_consumers', { name: 'named', stream_id: stream.body.id, subject_prefix: 'egress.named', nats: { host: 'internal.test', port: fakeNatsPort } }),
    );
    expect(named.status, JSON.stringify(named.body)).toBe(201);
    const lastError = await waitFor(
      async () => {
        const consumer = record(await tenant.get(`/v1/nats_consumers/${named.body.id}`));
        return consumer.body.last_error?.message as string | undefined;
      },
      20_000,
      'the NATS consumer to report its error',
    );
    expect(lastError).toMatch(/egress policy/);
    expect(lastError).toContain('internal.test');
    expect(fakeNatsConnections).toBe(0);
  });

  it('(6) an upstream error body that is not the provider\'s error fields is not echoed to the tenant', async () => {
    const syncId = await hubspotSync('leaky', leaky.url);
    const error = await syncError(syncId, /HTTP 400|400/);
    expect(leaky.requests.length).toBeGreaterThan(0);
    expect(error.message).not.toContain(LEAK_MARKER);
    expect(answers.join('\n')).not.toContain(LEAK_MARKER);
  });
});
