import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenSockets } from '../../src/live/token-sockets.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

/** Low limits, so that each is reached by a small document. */
const LIMITS = {
  SYNCLINE_GRAPHQL_MAX_TOKENS: '200',
  SYNCLINE_GRAPHQL_MAX_ALIASES: '3',
  SYNCLINE_GRAPHQL_MAX_DEPTH: '5',
  SYNCLINE_GRAPHQL_MAX_COST: '500',
  SYNCLINE_GRAPHQL_MAX_DIRECTIVES: '2',
  SYNCLINE_MAX_BODY_BYTES: '65536',
};

/** One document over each limit (and under the others, so that the code names the one reached). */
const OVER = {
  query_too_large: `{ viewer { account { ${'name '.repeat(200)} } } }`,
  too_many_aliases: '{ a: providers { name } b: providers { name } c: providers { name } d: providers { name } }',
  query_too_deep: '{ providers { collections { id name } credentialKinds { kind } oauth { credentialKind } } viewer { account { name } apiTokens { name } } a: node(id: "x") { ... on Stream { syncs { edges { node { id } } } } } }',
  query_too_costly: '{ streams(first: 100) { edges { node { id name } } } }',
  too_many_directives: '{ viewer @include(if: true) { account @include(if: true) { name @skip(if: false) } } }',
} as const;

describe('GraphQL: authentication before parsing, document limits, revocation of live connections', () => {
  let server: TestServer;
  let token: string;
  let api: RestClient;

  beforeAll(async () => {
    server = await startTestServer(LIMITS);
    const created = await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'gate' });
    token = created.body.api_token.token;
    api = restClient(server.url, token);
  });
  afterAll(async () => {
    await server.stop();
  });

  async function post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  }
  it('answers every anonymous or wrongly authenticated request 401 unauthorized, whatever its transport', async () => {
    const anonymous = await post({ query: '{ viewer { account { name } } }' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.body).toEqual({ errors: [{ message: 'missing or invalid API token', extensions: { code: 'unauthorized', status: 401, details: [] } }] });
    expect((await post([{ query: '{ providers { name } }' }, { query: '{ providers { name } }' }])).status).toBe(401);
    expect((await post({ query: '{ providers { name } }' }, { authorization: 'Bearer syn_nope' })).status).toBe(401);
    expect((await post({ query: '{ providers { name } }' }, { authorization: `Basic ${token}` })).status).toBe(401);
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ providers { name } }')}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(401);
    const form = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7B%20providers%20%7B%20name%20%7D%20%7D' });
    expect(form.status).toBe(401);
    // Syntax errors are not even looked at without a token.
    expect((await post({ query: '{ {{{' })).status).toBe(401);
  });

  it('refuses a body over SYNCLINE_MAX_BODY_BYTES (413) or of unknown length (411) before reading it, with or without a token', async () => {
    const big = { query: '{ viewer { account { name } } }', variables: { padding: 'x'.repeat(70_000) } };
    for (const headers of [{}, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
      const answer = await post(big, headers);
      expect([answer.status, answer.body.errors[0].extensions.code]).toEqual([413, 'payload_too_large']);
    }
    const chunked = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: new Blob([JSON.stringify({ query: '{ viewer { account { name } } }' })]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect([chunked.status, ((await chunked.json()) as any).errors[0].extensions.code]).toEqual([411, 'length_required']);
    // Just under the limit, the same request is answered.
    const fits = await post({ query: '{ viewer { account { name } } }', variables: { padding: 'x'.repeat(60_000) } }, { authorization: `Bearer ${token}` });
    expect(fits.status).toBe(200);
  });

  it("still serves GraphiQL's page to a browser without a token, and the token then works", async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const answer = await post({ query: '{ viewer { account { name } } }' }, { authorization: `Bearer ${token}` });
    expect(answer).toMatchObject({ status: 200, body: { data: { viewer: { account: { name: 'gate' } } } } });
  });

  it('refuses a document over each limit with 400 and its code, for application/json and graphql-response+json callers', async () => {
    for (const [code, query] of Object.entries(OVER)) {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const answer = await post({ query }, { authorization: `Bearer ${token}`, accept });
        expect([answer.status, answer.body.errors?.[0]?.extensions?.code], `${code} (${accept})`).toEqual([400, code]);
        expect(answer.body.data, code).toBeUndefined();
        expect(answer.body.errors[0].message, code).toMatch(/SYNCLINE_GRAPHQL_MAX_/);
      }
    }
    // At the limits, the documents pass.
    const atLimits = await post({ query: '{ a: providers { name } b: providers { name } c: providers { name } viewer @include(if: true) { account { name } } }' }, { authorization: `Bearer ${token}` });
    expect(atLimits.status).toBe(200);
    expect(atLimits.body.errors).toBeUndefined();
  });

  it('limits GET requests the same way', async () => {
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent(OVER.too_many_aliases)}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as any).errors[0].extensions.code).toBe('too_many_aliases');
  });

  it('hides field suggestions from validation errors', async () => {
    const answer = await post({ query: '{ viewr { account { name } } }' }, { authorization: `Bearer ${token}` });
    expect(answer.body.errors[0].message).not.toMatch(/Did you mean/);
  });

  function wsClient(authorization: string, onClosed?: (code: number) => void): Client {
    return createClient({
      url: `${server.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization },
      retryAttempts: 0,
      lazy: false, // the socket stays open between operations
      onNonLazyError: () => undefined, // the closes are what the tests look at
      on: { closed: (event) => onClosed?.((event as { code: number }).code) },
    });
  }

  it('applies the same limits over graphql-ws, as errors of the operation; the socket goes on', async () => {
    const client = wsClient(`Bearer ${token}`);
    const run = (query: string) =>
      new Promise<any>((resolve) => {
        client.subscribe({ query }, { next: (value) => resolve(value), error: (error) => resolve({ errors: error }), complete: () => undefined });
      });
    try {
      for (const [code, query] of Object.entries(OVER)) {
        const result = await run(query);
        expect(result.errors?.[0]?.extensions?.code, code).toBe(code);
        expect(result.errors[0].extensions.http, code).toBeUndefined();
      }
      expect(await run('{ viewer { account { name } } }')).toEqual({ data: { viewer: { account: { name: 'gate' } } } });
    } finally {
      await client.dispose();
    }
  });

  it("accepts the token on the WebSocket upgrade request too, and refuses a socket without one (4403)", async () => {
    const viaHeader = createClient({
      url: `${server.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { authorization: `Bearer ${token}` } });
        }
      },
      retryAttempts: 0,
    });
    const answer = await new Promise((resolve, reject) => {
      viaHeader.subscribe({ query: '{ viewer { account { name } } }' }, { next: resolve, error: reject, complete: () => undefined });
    });
    expect(answer).toEqual({ data: { viewer: { account: { name: 'gate' } } } });
    await viaHeader.dispose();
    let code: number | null = null;
    const anonymous = wsClient('', (c) => (code ??= c));
    await waitFor(async () => code !== null, 5_000, 'the anonymous socket to close');
    expect(code).toBe(4403);
    await anonymous.dispose();
  });

  it('closes a graphql-ws socket with 4403 when its token is revoked, and only that one', async () => {
    const issued = await api.post('/v1/api-tokens', { name: 'ws' });
    const codes: Record<string, number | null> = { revoked: null, kept: null };
    const revokedClient = wsClient(`Bearer ${issued.body.token}`, (code) => (codes.revoked ??= code));
    const keptClient = wsClient(`Bearer ${token}`, (code) => (codes.kept ??= code));
    const status = (client: Client) =>
      new Promise<void>((resolve, reject) => {
        client.subscribe({ query: '{ viewer { account { name } } }' }, { next: () => resolve(), error: reject, complete: () => undefined });
      });
    await Promise.all([status(revokedClient), status(keptClient)]);
    // Through GraphQL this time (the REST route is covered by the reliability suite).
    const revoked = await post({ query: 'mutation($id: ID!) { revokeApiToken(id: $id) }', variables: { id: issued.body.id } }, { authorization: `Bearer ${token}` });
    expect(revoked.body.errors).toBeUndefined();
    await waitFor(async () => codes.revoked !== null, 1_000, 'the revoked socket to close');
    expect(codes.revoked).toBe(4403);
    await status(keptClient);
    expect(codes.kept).toBeNull();
    await revokedClient.dispose();
    await keptClient.dispose();
  });

  it('ends a subscription streamed as server-sent events when its token is revoked', async () => {
    const streamId = (await api.post('/v1/streams', { name: 'sse' })).body.id as string;
    await seedRecords(server.app.ctx, { syncId: randomUUID(), streamId, collectionId: 'stripe:customer' }, [{ id: 'cus_1' }, { id: 'cus_2' }]);
    const issued = await api.post('/v1/api-tokens', { name: 'sse' });
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${issued.body.token}` },
      body: JSON.stringify({ query: 'subscription($s: ID!) { recordChanged(streamId: $s, afterIdx: "0") { upstreamId } }', variables: { s: streamId } }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('cus_2')) text += new TextDecoder().decode((await reader.read()).value);
    expect((await api.delete(`/v1/api-tokens/${issued.body.id}`)).status).toBe(204);
    const ended = await Promise.race([
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })().catch(() => 'ended'),
      new Promise((resolve) => setTimeout(() => resolve('still open'), 1_000)),
    ]);
    expect(ended).toBe('ended');
  });

  it('re-checks the tokens of open connections: a revocation whose signal was missed still closes them', async () => {
    const issued = await api.post('/v1/api-tokens', { name: 'missed' });
    const principal = { accountId: (await api.get('/v1/account')).body.id, tokenId: issued.body.id, isRoot: false };
    const registry = new TokenSockets({ bus: server.app.ctx.bus, pool: server.app.ctx.pool, logger: server.app.ctx.logger, recheckMs: 3_600_000 });
    try {
      let closed = 0;
      registry.track(principal, () => closed++);
      await registry.recheck();
      expect(closed).toBe(0);
      // Revoked behind the bus's back: no signal.
      await server.app.ctx.pool.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [issued.body.id]);
      await registry.recheck();
      expect(closed).toBe(1);
      expect(registry.size).toBe(0);
      // A connection that authenticated just before a revocation and registers just after is closed at once.
      let late = 0;
      registry.track(principal, () => late++);
      expect(late).toBe(1);
    } finally {
      registry.stop();
    }
  });
});
