/**
 * Part 3 — bad input: a property-based fuzzer (fast-check, fixed seed) over every REST route of
 * src/http (read from the route modules) and every GraphQL query and mutation of the schema
 * (documents built from the schema), with arbitrary JSON, wrong types, huge strings, unicode,
 * nulls, bad and foreign ids, malformed JSON, wrong content types, odd methods and queries.
 * Invariants: no 5xx (REST) and no `internal` error (GraphQL), errors in the documented shape,
 * the server stays up, and a bystander account's data is unchanged.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import type { GraphQLField, GraphQLInputObjectType, GraphQLInputType, GraphQLList, GraphQLNamedType, GraphQLNonNull, GraphQLObjectType, GraphQLOutputType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { schema } from '../../src/schema/index.ts';
import { restClient } from '../support/api.ts';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ROOT_TOKEN, TEST_SECRET_KEY } from '../support/server.ts';
import { waitForBackfill } from '../support/stripe-sync.ts';
import { accountFingerprint } from './support/account-snapshot.ts';
import { FIELD_NAMES, GARBAGE_IDS, idRef, nastyString, nastyValue, type Huge, type IdRef } from './support/fuzz-values.ts';
import { knownBugOfCause, KnownBugCounter } from './support/known-bugs.ts';
import { isLoopbackHost } from './support/loopback-guard.ts';
import { suiteSeed } from './support/prng.ts';
import { reportFigures } from './support/report.ts';
import { fillPath, restRoutes, type RouteSpec } from './support/routes.ts';
import { createTenant, provisionResources, type Tenant } from './support/tenant.ts';

const SEED = suiteSeed('fuzz', 20_261_124);
const REST_RUNS = Number(process.env.RELIABILITY_FUZZ_REST_RUNS ?? 3000);
const GRAPHQL_RUNS = Number(process.env.RELIABILITY_FUZZ_GRAPHQL_RUNS ?? 2000);
/** Where fuzzed credentials point: a loopback port nothing listens on (syncs fail fast, nothing leaves the machine). */
const DEAD_URL = 'http://127.0.0.1:9';
/** The child server runs with the loopback guard preloaded (fuzzed NATS hosts and base URLs are contacted). */
const CHILD_NODE_ARGS = ['--import', 'tsx', '--import', './test/reliability/support/loopback-guard-preload.ts', 'src/main.ts'];
/** Long polls are capped so that a fuzzed `wait_for: 30000` does not stall the run. */
const MAX_WAIT_MS = 200;
const REQUEST_TIMEOUT_MS = 20_000;
const RESOURCES = ['streamId', 'credentialId', 'oauthAppId', 'syncId', 'httpConsumerId', 'natsConsumerId', 'apiTokenId'] as const;
const GLOBAL_TYPES: Record<(typeof RESOURCES)[number], string> = {
  streamId: 'Stream',
  credentialId: 'Credential',
  oauthAppId: 'OAuthApp',
  syncId: 'Sync',
  httpConsumerId: 'HttpConsumer',
  natsConsumerId: 'NatsConsumer',
  apiTokenId: 'ApiToken',
};

// The schema comes from the server's modules, which may load graphql's other build (CJS vs ESM):
// graphql's own predicates (instanceof) would refuse its types, so look at their tags.
const tag = (type: unknown) => Object.prototype.toString.call(type).slice(8, -1);
const isNonNullType = (type: unknown): type is GraphQLNonNull<any> => tag(type) === 'GraphQLNonNull';
const isListType = (type: unknown): type is GraphQLList<any> => tag(type) === 'GraphQLList';
const isObjectType = (type: unknown): type is GraphQLObjectType => tag(type) === 'GraphQLObjectType';
const isInputObjectType = (type: unknown): type is GraphQLInputObjectType => tag(type) === 'GraphQLInputObjectType';
const isInterfaceType = (type: unknown) => tag(type) === 'GraphQLInterfaceType';
const isLeafType = (type: unknown) => ['GraphQLScalarType', 'GraphQLEnumType'].includes(tag(type));
function getNamedType(type: unknown): GraphQLNamedType {
  let current = type as { ofType?: unknown };
  while (isNonNullType(current) || isListType(current)) current = current.ofType as { ofType?: unknown };
  return current as GraphQLNamedType;
}

/** An own, enumerable property even for `__proto__` (plain assignment would set the prototype). */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Lone surrogates → U+FFFD (a URL path cannot carry them). */
const wellFormed = (value: string) => value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

interface FuzzRequest {
  kind: 'rest' | 'graphql';
  /** What is being fuzzed: `POST /v1/syncs/:id/pause`, `graphql mutation createSync`… */
  label: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | undefined;
}

interface Violation {
  label: string;
  request: string;
  answer: string;
}

describe('bad input: fuzzing every REST route and GraphQL operation', () => {
  let emulator: StripeEmulator;
  let bystanderEmulator: StripeEmulator;
  let database: TestDatabase;
  let child: ChildServer;
  /** The child server: its url, database and log lines (pino JSON on stdout). */
  const server = {
    url: '',
    database: { url: '' },
    /** Complete lines only (the text after the last newline is still being written). */
    get logLines(): string[] {
      return child.output().split('\n').slice(0, -1);
    },
  };
  let fuzz: Tenant;
  let bystander: Tenant;
  let bystanderBefore: unknown;
  const leasedTokens: string[] = [];
  /** The last requests sent, to tell what happened before the server stopped answering. */
  const recent: FuzzRequest[] = [];
  const violations: Violation[] = [];
  const knownBugs = new KnownBugCounter();
  const statuses: Record<string, number> = {};
  const tried = { rest: 0, graphql: 0, routes: new Set<string>(), operations: new Set<string>() };

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 50 }, randomSeed: SEED });
    bystanderEmulator = await startStripeEmulator({ seed: { customer: 40 }, randomSeed: SEED + 1 });
    database = await createTestDatabase();
    server.database.url = database.url;
    // A real process, as in production (graphql resolves to one build; a crash is a crash).
    child = await spawnServer(
      { DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'warn' },
      randomPort(),
      CHILD_NODE_ARGS,
    );
    server.url = child.url;
    fuzz = await createTenant(server.url, ROOT_TOKEN, 'fuzz', emulator, 'rel-fuzz-own');
    bystander = await createTenant(server.url, ROOT_TOKEN, 'bystander', bystanderEmulator, 'rel-fuzz-bystander');
    for (const t of [fuzz, bystander]) await waitForBackfill(t.api, t.syncId, 60_000);
    // The bystander's sync stops: nothing of the bystander moves by itself from here on.
    expect((await bystander.api.post(`/v1/syncs/${bystander.syncId}/pause`)).status).toBe(200);
    const leased = await bystander.api.post(`/v1/http-consumers/${bystander.httpConsumerId}/next`, { batch_size: 5 });
    expect(leased.body).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 300));
    bystanderBefore = await bystanderSnapshot();
  });

  afterAll(async () => {
    if (child) await stopServer(child.child, 'SIGKILL');
    await emulator?.close();
    await bystanderEmulator?.close();
    await database?.drop();
  });

  /** Connections the child's loopback guard refused. */
  const refusedConnections = () => server.logLines.filter((l) => l.startsWith('[loopback-guard] refused')).length;

  async function bystanderSnapshot() {
    const get = async (path: string) => {
      const answer = await bystander.api.get(path);
      return { status: answer.status, body: answer.body };
    };
    return {
      db: await accountFingerprint(server.database.url, bystander.accountId),
      api: await Promise.all(
        [
          '/v1/account',
          '/v1/streams',
          '/v1/credentials',
          '/v1/oauth-apps',
          '/v1/syncs',
          '/v1/http-consumers',
          '/v1/api-tokens',
          `/v1/syncs/${bystander.syncId}/records?limit=1000`,
          `/v1/http-consumers/${bystander.httpConsumerId}`,
        ].map(get),
      ),
    };
  }

  // ---- placeholders → concrete values -------------------------------------------------------

  function resolveId(ref: IdRef): string {
    const resource = RESOURCES[ref.pick % RESOURCES.length]!;
    switch (ref.__ref) {
      case 'own':
        return fuzz[resource];
      case 'other':
        return bystander[resource];
      case 'random':
        return randomUUID();
      case 'garbage':
        return GARBAGE_IDS[ref.pick % GARBAGE_IDS.length]!;
      case 'ownGlobal':
        return Buffer.from(`${GLOBAL_TYPES[resource]}:${fuzz[resource]}`).toString('base64');
      case 'otherGlobal':
        return Buffer.from(`${GLOBAL_TYPES[resource]}:${bystander[resource]}`).toString('base64');
    }
  }

  /** Resolves placeholders and keeps hosts on the loopback and waits short. */
  function resolve(value: unknown, key = ''): unknown {
    if (Array.isArray(value)) return value.map((v) => resolve(v, key));
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (typeof record.__ref === 'string') return resolveId(record as unknown as IdRef);
      if (typeof record.__huge === 'number') return (record as unknown as Huge).char.repeat((record as unknown as Huge).__huge);
      if (record.__token === true) return leasedTokens.length > 0 ? leasedTokens[(record.pick as number) % leasedTokens.length] : randomUUID();
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(v, k)]));
    }
    return sanitize(key, value);
  }

  /**
   * Hosts and URLs (NATS servers, credential base URLs) stay on the loopback, whatever was
   * generated: the server connects to them. Waits are capped. Everything else goes as generated.
   */
  function sanitize(key: string, value: unknown): unknown {
    if (/^(host)$/i.test(key) && typeof value === 'string' && !isLoopbackHost(value)) return value.length % 2 === 0 ? '127.0.0.1' : 'http://not-a-host';
    if (/url/i.test(key) && typeof value === 'string') {
      try {
        const parsed = new URL(value);
        if (!isLoopbackHost(parsed.hostname)) return DEAD_URL;
      } catch {
        // not a URL: refused by validation, sent as is
      }
    }
    if (/^(wait_for|wait_ms|waitFor|await_consumers_timeout|awaitConsumersTimeout)$/.test(key)) {
      if (typeof value === 'number' && value > MAX_WAIT_MS) return MAX_WAIT_MS;
      if (typeof value === 'string' && Number(value) > MAX_WAIT_MS) return String(MAX_WAIT_MS);
    }
    return value;
  }

  // ---- sending and checking -----------------------------------------------------------------

  /** What the server's database sessions are doing (for a server that stopped answering). */
  async function databaseSessions(): Promise<unknown[]> {
    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT pid, application_name, state, wait_event_type, wait_event, now() - xact_start AS in_transaction_for, left(query, 300) AS query
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY xact_start NULLS LAST`,
      );
      return rows;
    } finally {
      await client.end();
    }
  }

  /** Unhandled errors the server logged since log line `from` (its own account of a 500 / internal). */
  function causesSince(from: number): string[] {
    return server.logLines
      .slice(from)
      .filter((l) => /"level":50/.test(l))
      .map((line) => {
        const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        const message = (parsed.err?.message ?? '').split('\n').map((m) => m.trim()).filter(Boolean).slice(-2).join(' / ');
        return `${parsed.msg}: ${message}`;
      });
  }

  async function send(request: FuzzRequest): Promise<void> {
    recent.push(request);
    if (recent.length > 8) recent.shift();
    const logFrom = server.logLines.length;
    const url = `${server.url}${request.path}${request.query ? `?${request.query}` : ''}`;
    let status: number;
    let text: string;
    let contentType: string | null;
    try {
      const response = await fetch(url, {
        method: request.method,
        headers: request.headers,
        body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      contentType = response.headers.get('content-type');
      text = await response.text();
    } catch (error) {
      violations.push({ label: request.label, request: describeRequest(request), answer: `no answer: ${(error as Error).message}` });
      // Is the server still answering anything? If not, stop here: every later request would time out too.
      const alive = await fetch(`${server.url}/v1/account`, { headers: { authorization: `Bearer ${fuzz.token}` }, signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!alive) {
        console.log('[reliability:fuzz] the server stopped answering; its database sessions:', JSON.stringify(await databaseSessions(), null, 1));
        violations.push({ label: 'server stopped answering', request: recent.map(describeRequest).join('\n   then '), answer: 'GET /v1/account got no answer' });
        throw new Error(`the server stopped answering; the last requests were:\n${recent.map(describeRequest).join('\n')}`);
      }
      return;
    }
    statuses[`${Math.floor(status / 100)}xx`] = (statuses[`${Math.floor(status / 100)}xx`] ?? 0) + 1;
    if (process.env.RELIABILITY_FUZZ_TRACE) {
      const causes = server.logLines.slice(logFrom).filter((l) => /"level":(40|50)/.test(l)).map((l) => l.slice(0, 300));
      console.log(`[trace] ${status} ${describeRequest(request)}${causes.length > 0 ? `\n   server: ${causes.join('\n   server: ')}` : ''}`);
    }
    const failure = check(request, status, text, contentType);
    if (failure === null) return;
    // The child's log lines come through a pipe: give them a moment to arrive.
    await new Promise((r) => setTimeout(r, 100));
    // A failure whose every server-side cause is a known, reported bug is counted as that bug.
    const causes = causesSince(logFrom);
    const bugs = causes.map((c) => knownBugOfCause(c, { path: `${request.path}${request.query ? `?${request.query}` : ''}`, body: request.body }, text));
    if (causes.length > 0 && bugs.every((b) => b !== null && b === bugs[0])) {
      knownBugs.hit(bugs[0]!);
      return;
    }
    violations.push({ label: request.label, request: describeRequest(request), answer: `${status} ${failure}: ${text.slice(0, 300)} | server: ${causes.join(' ; ').slice(0, 400)}` });
  }

  /** Why an answer breaks the invariants, or null. Also keeps the tokens that `next` handed out. */
  function check(request: FuzzRequest, status: number, text: string, contentType: string | null): string | null {
    const fail = (why: string) => why;
    if (status >= 500) return fail('5xx');
    if (request.kind === 'rest') {
      if (status >= 400 && request.method !== 'HEAD') {
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          return fail('error answer is not JSON');
        }
        if (typeof body?.error?.code !== 'string' || typeof body?.error?.message !== 'string') return fail('error answer not in the {error:{code,message}} shape');
        if (!contentType?.startsWith('application/json')) return fail(`error answer with content-type ${contentType}`);
      }
      if (status === 200 && request.path.endsWith('/next') && request.method === 'POST') {
        try {
          for (const m of JSON.parse(text) as { ack_token: string }[]) leasedTokens.push(m.ack_token);
          leasedTokens.splice(0, Math.max(0, leasedTokens.length - 50));
        } catch {
          // not an array: fine
        }
      }
      return null;
    }
    // GraphQL: a JSON answer whose errors are never internal.
    if (!contentType?.includes('json')) return null; // e.g. GraphiQL's HTML, an event stream
    let answer: { data?: any; errors?: any[] } | { data?: any; errors?: any[] }[];
    try {
      answer = JSON.parse(text);
    } catch {
      return fail('GraphQL answer is not JSON');
    }
    for (const single of Array.isArray(answer) ? answer : [answer]) {
      if ((single.errors ?? []).some((e) => e?.extensions?.code === 'internal')) return fail('internal GraphQL error');
    }
    return null;
  }

  function describeRequest(request: FuzzRequest): string {
    const limit = Number(process.env.RELIABILITY_FUZZ_DESCRIBE_CHARS ?? 300);
    const body = request.body === undefined ? '' : ` ${request.body.length > limit ? `${request.body.slice(0, limit)}… (${request.body.length} chars)` : request.body}`;
    return `${request.method} ${request.path}${request.query ? `?${request.query.slice(0, limit)}` : ''} [${JSON.stringify(request.headers).slice(0, 160)}]${body}`;
  }

  /** Recreates the fuzz account's resources that fuzzed requests deleted, so that own ids stay live. */
  async function replenish(round: number): Promise<void> {
    const paths: Record<(typeof RESOURCES)[number], string> = {
      streamId: '/v1/streams/',
      credentialId: '/v1/credentials/',
      oauthAppId: '/v1/oauth-apps/',
      syncId: '/v1/syncs/',
      httpConsumerId: '/v1/http-consumers/',
      natsConsumerId: '/v1/nats_consumers/',
      apiTokenId: '/v1/api-tokens',
    };
    const tokens = await fuzz.api.get('/v1/api-tokens?limit=100');
    expect(tokens.status).toBe(200); // the fuzz account's own token still works
    const tokenLive = tokens.body.data.some((t: { id: string; revoked_at: string | null }) => t.id === fuzz.apiTokenId && !t.revoked_at);
    let gone = !tokenLive;
    for (const resource of RESOURCES) {
      if (resource === 'apiTokenId') continue;
      if ((await fuzz.api.get(`${paths[resource]}${fuzz[resource]}`)).status !== 200) gone = true;
    }
    if (!gone) return;
    const fresh = await provisionResources(fuzz.api, `fuzz-r${round}-${randomUUID().slice(0, 6)}`, emulator, 'rel-fuzz-own');
    Object.assign(fuzz, fresh);
  }

  // ---- REST generators ----------------------------------------------------------------------

  function templates(route: RouteSpec): unknown[] {
    const key = `${route.method} ${route.path}`;
    const own = (resource: (typeof RESOURCES)[number]) => ({ __ref: 'own', pick: RESOURCES.indexOf(resource) });
    const token = { __token: true, pick: 0 };
    const customer = emulator.objects('customer')[0]!.id as string;
    const byRoute: Record<string, unknown[]> = {
      'POST /v1/accounts': [{ name: 'fuzzed account' }],
      'POST /v1/api-tokens': [{ name: 'fuzzed token' }],
      'POST /v1/streams': [{ name: 'fuzzed-stream' }],
      'POST /v1/credentials': [
        { kind: 'stripe', secret: 'sk_test_fuzz', api_base_url: DEAD_URL, name: 'fuzzed', metadata: { a: 1 } },
        { kind: 'stripe', access_token: 'sk_test_fuzz', oauth_app_id: own('oauthAppId'), api_base_url: DEAD_URL },
      ],
      'PATCH /v1/credentials/:id': [{ name: 'renamed', api_base_url: DEAD_URL }, { secret: 'sk_test_new' }],
      'POST /v1/oauth-apps': [{ provider: 'stripe', client_id: 'fuzz', client_secret: 'fuzz-secret' }],
      'POST /v1/syncs': [
        { provider: 'stripe', name: 'fuzzed', collection_ids: ['stripe:customer'], credential_id: own('credentialId'), poll_interval_ms: 60_000 },
        {
          provider: 'stripe',
          collection_ids: ['stripe:customer', 'stripe:product'],
          credential: { properties: { kind: 'stripe', secret: 'sk_test_fuzz', api_base_url: DEAD_URL } },
          rate_limit: { allowed_requests: 5, interval: 1, max_concurrent_requests: 1 },
          stream_id: own('streamId'),
        },
      ],
      'PATCH /v1/syncs/:id': [{ name: 'renamed', poll_interval_ms: 30_000, rate_limit: { allowed_requests: 10, interval: 2, max_concurrent_requests: 2 } }],
      'POST /v1/http-consumers': [
        { name: 'fuzzed-consumer', sync_id: own('syncId'), collection_ids: ['stripe:customer'], ack_wait_ms: 1000, max_deliver: 3, max_ack_pending: 10 },
        { name: 'fuzzed-consumer-2', stream_id: own('streamId'), deliver_policy: 'new' },
      ],
      'PATCH /v1/http-consumers/:id': [{ name: 'renamed-consumer', ack_wait_ms: 5000, max_deliver: -1, max_ack_pending: 100 }],
      'POST /v1/http-consumers/:id/next': [{ batch_size: 3, wait_for: 0 }, { batch_size: 1, wait_ms: 10 }],
      'GET /v1/http-consumers/:id/next': [],
      'POST /v1/http-consumers/:id/ack': [{ ack_tokens: [token] }],
      'POST /v1/http-consumers/:id/nack': [{ ack_tokens: [token], delay_ms: 10 }],
      'POST /api/http_pull_consumers/:ref/receive': [{ batch_size: 3, wait_for: 0 }],
      'POST /api/http_pull_consumers/:ref/ack': [{ ack_ids: [token] }],
      'POST /api/http_pull_consumers/:ref/nack': [{ ack_ids: [token], delay_ms: 0 }],
      'POST /v1/nats_consumers': [{ name: 'fuzzed-nats', sync_id: own('syncId'), subject_prefix: 'rel-fuzz-own', nats: { host: '127.0.0.1', port: 4222 } }],
      'POST /v1/nats-consumers': [{ name: 'fuzzed-nats-2', stream_id: own('streamId'), deliver_policy: 'new', nats: { host: '127.0.0.1', port: 4222, user: 'u', password: 'p' } }],
      'PATCH /v1/nats_consumers/:id': [{ name: 'renamed-nats', subject_prefix: 'rel-fuzz-own', nats: { token: 'abc', user: null } }],
      'PATCH /v1/nats-consumers/:id': [{ nats: { host: '127.0.0.1', port: 4222, tls: false } }],
      'POST /v1/mutations/run': [
        { kind: 'update', sync_id: own('syncId'), collection_id: 'stripe:customer', data: [{ id: customer, name: 'fuzzed' }] },
        { kind: 'create', sync_id: own('syncId'), collection_id: 'stripe:customer', records: [{ data: { email: 'f@example.com' } }], idempotency_key: 'k1' },
        { kind: 'delete', sync_id: own('syncId'), collection_id: 'stripe:customer', upstream_ids: ['cus_missing'], await_consumer_ids: [own('httpConsumerId')], await_consumers_timeout: 100 },
      ],
    };
    return byRoute[key] ?? [{}];
  }

  /** A body: a route template (maybe with one field broken), or arbitrary JSON, or not JSON at all. */
  function bodyArbitrary(route: RouteSpec): fc.Arbitrary<{ text: string | undefined; json: unknown } | { raw: string }> {
    const list = templates(route);
    const template = list.length > 0 ? fc.constantFrom(...list) : fc.constant({});
    const brokenTemplate = fc
      .tuple(template, fc.constantFrom('replace', 'delete', 'add', 'nested', 'keep'), fc.nat(100), fc.constantFrom(...FIELD_NAMES), nastyValue)
      .map(([t, op, pick, field, value]) => {
        const copy = structuredClone(t) as Record<string, unknown>;
        const keys = Object.keys(copy);
        const target = keys.length > 0 ? keys[pick % keys.length]! : field;
        if (op === 'replace') setKey(copy, target, value);
        else if (op === 'delete') delete copy[target];
        else if (op === 'add') setKey(copy, field, value);
        else if (op === 'nested') {
          // Own properties only: `copy.__proto__` would be Object.prototype itself.
          const inner = Object.hasOwn(copy, target) ? copy[target] : undefined;
          if (inner && typeof inner === 'object' && !Array.isArray(inner)) setKey(inner as Record<string, unknown>, field, value);
          else if (Array.isArray(inner)) inner.push(value);
          else setKey(copy, target, { [field]: value });
        }
        return { json: copy };
      });
    const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nastyValue).map((json) => ({ json }));
    const raw = fc.oneof(
      fc.constantFrom(
        '{',
        '{"name":',
        '[',
        '[]',
        'null',
        '""',
        '0',
        'true',
        '{"name": "x",}',
        "{'name': 'x'}",
        '\ufeff{"name":"x"}',
        'NaN',
        '{"__proto__": {"isRoot": true}}',
        '{"constructor": {"prototype": {"x": 1}}}',
        '{"a":1,"a":2}',
        '{"name":"\\ud800"}',
        '{"name":"\\u0000"}',
        'name=x&kind=stripe',
        '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--xyz--',
        '<xml/>',
      ),
      fc.string({ maxLength: 50 }),
      fc.constantFrom(5_000, 50_000).map((n) => '['.repeat(n)),
      fc.constantFrom(2_000, 20_000).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
      fc.constant('OVERSIZE'),
      template.chain((t) => fc.nat(200).map((cut) => JSON.stringify(t).slice(0, cut))),
    ).map((text) => ({ raw: text }));
    return fc.oneof({ weight: 5, arbitrary: brokenTemplate }, { weight: 2, arbitrary: anyJson }, { weight: 2, arbitrary: raw }) as fc.Arbitrary<
      { text: string | undefined; json: unknown } | { raw: string }
    >;
  }

  const contentType = fc.constantFrom(
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/json; charset=utf-16',
    '',
    'NONE',
  );

  const queryArbitrary = fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'cursor', 'after_idx', 'collection_id', 'batch_size', 'wait_for', 'wait_ms', 'stream_id'), fc.string({ maxLength: 8 })), nastyValue), { maxLength: 3 })
        .map((pairs) => pairs.map(([k, v]) => [k, v] as const)),
    },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '&&&', '=', 'limit=%E0%A4%A', 'limit=1&limit=2', 'a[b]=1', 'limit=-1', 'limit=0', 'limit=1e3', 'limit=99999999999999999999', 'after_idx=-1', 'after_idx=abc', 'cursor=%00') },
  );

  const authArbitrary = fc.constantFrom('own', 'own', 'own', 'own', 'own', 'own', 'own', 'own', 'none', 'garbage', 'malformed', 'root');

  function restRequestArbitrary(routes: RouteSpec[]): fc.Arbitrary<() => FuzzRequest> {
    return fc.constantFrom(...routes).chain((route) =>
      fc
        .record({
          method: fc.oneof({ weight: 9, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS', 'HEAD') }),
          ids: fc.array(fc.oneof({ weight: 4, arbitrary: idRef }, { weight: 1, arbitrary: nastyString }), { minLength: 2, maxLength: 2 }),
          refByName: fc.boolean(),
          pathSuffix: fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//', '/..', '/x', '/%2F', '/.%2e/') }),
          body: bodyArbitrary(route),
          query: queryArbitrary,
          contentType,
          auth: authArbitrary,
        })
        .map((g) => () => {
          const values: Record<string, string> = {};
          route.params.forEach((param, i) => {
            const generated = g.ids[i % g.ids.length];
            const ref = typeof generated === 'object' && generated !== null && '__ref' in generated ? (generated as IdRef) : null;
            let value = ref ? resolveId(ref) : String(resolve(generated));
            // A real id of the right kind for the route (the fuzz account's, or the bystander's): past the 404s.
            if (ref?.__ref === 'own') value = idOfRoute(fuzz, route, param, g.refByName);
            if (ref?.__ref === 'other') value = idOfRoute(bystander, route, param, g.refByName);
            // Node's HTTP parser answers 431 (no JSON) to huge request lines before the app sees them.
            values[param] = wellFormed(value).slice(0, 1000);
          });
          let body: string | undefined;
          if ('raw' in g.body) body = g.body.raw === 'OVERSIZE' ? `{"name":"${'x'.repeat(1_100_000)}"}` : g.body.raw;
          else body = JSON.stringify(resolve(g.body.json));
          const headers: Record<string, string> = {};
          if (g.contentType !== 'NONE') headers['content-type'] = g.contentType;
          const token = { own: fuzz.token, none: null, garbage: `syn_${'0'.repeat(40)}`, malformed: 'Bearer', root: route.path === '/v1/accounts' ? ROOT_TOKEN : fuzz.token }[g.auth];
          if (g.auth === 'malformed') headers.authorization = 'Bearer';
          else if (token) headers.authorization = `Bearer ${token}`;
          const query = Array.isArray(g.query)
            ? new URLSearchParams(g.query.map(([k, v]) => [k, String(resolve(v, k) ?? '').slice(0, 1000)] as [string, string])).toString()
            : g.query;
          return {
            kind: 'rest',
            label: `${route.method} ${route.path}`,
            method: g.method,
            path: `${fillPath(route, values)}${g.pathSuffix}`,
            query,
            headers,
            body,
          };
        }),
    );
  }

  function idOfRoute(t: Tenant, route: RouteSpec, param: string, byName: boolean): string {
    if (param === 'upstreamId') return emulator.objects('customer')[0]?.id as string;
    const resource = route.path.split('/')[2] ?? '';
    if (resource === 'http_pull_consumers') return byName ? t.httpConsumerName : t.httpConsumerId;
    const map: Record<string, string> = {
      'api-tokens': t.apiTokenId,
      credentials: t.credentialId,
      'http-consumers': t.httpConsumerId,
      nats_consumers: t.natsConsumerId,
      'nats-consumers': t.natsConsumerId,
      'oauth-apps': t.oauthAppId,
      streams: t.streamId,
      syncs: t.syncId,
    };
    return map[resource] ?? randomUUID();
  }

  // ---- GraphQL generators -------------------------------------------------------------------

  function selectionOf(type: GraphQLOutputType, depth: number): string | null {
    const named = getNamedType(type);
    if (isLeafType(named)) return '';
    if (isInterfaceType(named)) return '{ __typename id }';
    if (!isObjectType(named) || depth > 2) return null;
    const parts: string[] = [];
    for (const field of Object.values(named.getFields())) {
      if (field.args.some((a) => isNonNullType(a.type))) continue;
      const sub = selectionOf(field.type, depth + 1);
      if (sub === null) continue;
      parts.push(sub ? `${field.name} ${sub}` : field.name);
    }
    return parts.length > 0 ? `{ ${parts.join(' ')} }` : null;
  }

  function inputArbitrary(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
    if (isNonNullType(type)) return fc.oneof({ weight: 12, arbitrary: inputArbitrary(type.ofType, depth) }, { weight: 1, arbitrary: fc.constant(null) });
    const wrong = nastyValue;
    let right: fc.Arbitrary<unknown>;
    if (isListType(type)) right = fc.array(inputArbitrary(type.ofType, depth + 1), { maxLength: 4 });
    else if (isInputObjectType(type)) {
      if (depth > 3) return fc.constant(null);
      const fields = Object.values(type.getFields());
      right = fc.record(Object.fromEntries(fields.map((f) => [f.name, inputArbitrary(f.type, depth + 1)])), { requiredKeys: [] });
    } else {
      const name = getNamedType(type).name;
      right =
        name === 'ID'
          ? idRef
          : name === 'Int'
            ? fc.oneof(fc.integer({ min: -5, max: 200 }), fc.constantFrom(0, -1, 2 ** 31 - 1, 1000, 1001))
            : name === 'Float'
              ? fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 1, 0.001, 1e9))
              : name === 'Boolean'
                ? fc.boolean()
                : name === 'JSON'
                  ? fc.oneof(fc.jsonValue({ maxDepth: 3 }), nastyValue)
                  : fc.oneof({ weight: 3, arbitrary: nastyString }, { weight: 1, arbitrary: fc.constantFrom('stripe', 'stripe:customer', 'create', 'update', 'delete', 'all', 'new') });
    }
    return fc.oneof({ weight: 6, arbitrary: right }, { weight: 1, arbitrary: wrong }, { weight: 1, arbitrary: fc.constant(null) });
  }

  function operationArbitrary(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): fc.Arbitrary<() => FuzzRequest> {
    const selection = selectionOf(field.type, 0) ?? '';
    const defs = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
    const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
    const document = `${kind} Fuzz${defs ? `(${defs})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selection} }`;
    const variables = fc.record(Object.fromEntries(field.args.map((a) => [a.name, inputArbitrary(a.type)])), { requiredKeys: [] });
    return fc.tuple(variables, authArbitrary, fc.constantFrom('json', 'json', 'json', 'json', 'get', 'batch', 'textplain')).map(([vars, auth, transport]) => () => {
      const resolved = resolve(vars);
      const token = auth === 'garbage' ? `syn_${'1'.repeat(40)}` : auth === 'none' ? null : fuzz.token;
      return graphqlRequest(`graphql ${kind} ${field.name}`, { query: document, variables: resolved }, token, transport);
    });
  }

  function graphqlRequest(label: string, payload: unknown, token: string | null, transport: string): FuzzRequest {
    const headers: Record<string, string> = { 'content-type': transport === 'textplain' ? 'text/plain' : 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const p = payload as { query?: unknown; variables?: unknown };
    const getQuery = new URLSearchParams({ query: String(p.query ?? ''), variables: JSON.stringify(p.variables ?? {}) }).toString();
    // Long documents go by POST: Node's HTTP parser answers 431 to huge request lines before the app sees them.
    if (transport === 'get' && getQuery.length < 8_000) {
      const query = getQuery;
      return { kind: 'graphql', label, method: 'GET', path: '/graphql', query, headers: { ...headers, accept: 'application/json' }, body: undefined };
    }
    const body = transport === 'batch' ? JSON.stringify([payload, payload]) : JSON.stringify(payload);
    return { kind: 'graphql', label, method: 'POST', path: '/graphql', query: '', headers, body };
  }

  /** Documents that are wrong in themselves: syntax, validation, size, shape of the request. */
  const rawGraphqlArbitrary: fc.Arbitrary<() => FuzzRequest> = fc
    .tuple(
      fc.oneof(
        fc.string({ maxLength: 80 }).map((query) => ({ query })),
        fc.constantFrom(
          { query: '{' },
          { query: '{ viewer { account { name } } ' },
          { query: '{ nope }' },
          { query: 'query { streams { edges { node { id name nope } } } }' },
          { query: 'mutation { deleteStream }' },
          { query: '{ __schema { types { name fields { name } } } }' },
          { query: 'query A { viewer { account { id } } } query B { providers { name } }' },
          { query: 'query A { viewer { account { id } } }', operationName: 'B' },
          { query: '{ viewer { account { id } } }', variables: 'not an object' },
          { query: '{ viewer { account { id } } }', variables: [1, 2] },
          { query: 42 },
          { query: null },
          {},
          { query: 'subscription { syncStatusChanged(syncId: "00000000-0000-0000-0000-000000000000") { state } }' },
          { query: `{ ${Array.from({ length: 500 }, (_, i) => `a${i}: providers { name }`).join(' ')} }` },
          { query: `{ viewer { account { name } } }${' '.repeat(200_000)}` },
          { query: `query Q(${Array.from({ length: 200 }, (_, i) => `$v${i}: String`).join(', ')}) { viewer { account { name } } }` },
          { query: `{ ${'viewer { account { name } } '.repeat(1)}${'#'.repeat(10_000)} }` },
          { query: 'query($f: Int) { streams(first: $f) { edges { node { id } } } }', variables: { f: 2 ** 40 } },
          { query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id: { nested: true } } },
          { query: 'query { records(syncId: "x", first: -1) { edges { node { upstreamId } } } }' },
          { query: 'query { streams(first: 1, last: 1) { edges { node { id } } } }' },
          { query: 'query { streams(after: "garbage") { edges { node { id } } } }' },
          { query: '{ viewer { account { name } } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } },
        ),
        fc.string({ maxLength: 40 }).map((garbage) => ({ query: `{ viewer { account { name } } ${garbage} }` })),
      ),
      authArbitrary,
      fc.constantFrom('json', 'json', 'get', 'batch', 'textplain', 'form'),
    )
    .map(([payload, auth, transport]) => () => {
      const token = auth === 'none' ? null : auth === 'garbage' ? `syn_${'2'.repeat(40)}` : fuzz.token;
      if (transport === 'form') {
        return {
          kind: 'graphql',
          label: 'graphql raw',
          method: 'POST',
          path: '/graphql',
          query: '',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: `query=${encodeURIComponent(String((payload as { query?: unknown }).query ?? ''))}`,
        };
      }
      const request = graphqlRequest('graphql raw', payload, token, transport);
      return request;
    });

  // ---- the runs -----------------------------------------------------------------------------

  async function runAll(arbitrary: fc.Arbitrary<() => FuzzRequest>, runs: number, kind: 'rest' | 'graphql', seed: number) {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (make) => {
        const request = make();
        tried[kind]++;
        if (kind === 'rest') tried.routes.add(request.label);
        else tried.operations.add(request.label);
        await send(request);
        if (++count % 250 === 0) {
          const health = await fetch(`${server.url}/healthz`).then((r) => r.status, () => 0);
          if (health !== 200) violations.push({ label: 'healthz', request: `after ${count} ${kind} runs`, answer: String(health) });
          await replenish(count);
        }
        return true;
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
  }

  it(`REST: ${REST_RUNS} fuzzed requests over every route, never a 5xx`, async () => {
    const routes = await restRoutes();
    expect(routes.length).toBeGreaterThan(40);
    const extra: RouteSpec[] = ['/healthz', '/readyz', '/metrics', '/v1', '/', '/v1/nope', '/api/http_pull_consumers'].map((path) => ({ method: 'GET', path, params: [] }));
    await runAll(restRequestArbitrary([...routes, ...extra]), REST_RUNS, 'rest', SEED);
    expect(tried.routes.size).toBe(routes.length + extra.length);
    expect(violations).toEqual([]);
  }, 300_000);

  it(`GraphQL: ${GRAPHQL_RUNS} fuzzed operations over every query and mutation, never an internal error`, async () => {
    const operations: fc.Arbitrary<() => FuzzRequest>[] = [];
    for (const [kind, type] of [
      ['query', schema.getQueryType()],
      ['mutation', schema.getMutationType()],
    ] as const) {
      for (const field of Object.values(type!.getFields())) operations.push(operationArbitrary(kind, field));
    }
    const arbitrary = fc.oneof({ weight: 5, arbitrary: fc.oneof(...operations) }, { weight: 1, arbitrary: rawGraphqlArbitrary });
    await runAll(arbitrary, GRAPHQL_RUNS, 'graphql', SEED + 1);
    expect(tried.operations.size).toBeGreaterThanOrEqual(operations.length);
    expect(violations).toEqual([]);
  }, 300_000);

  /** The server's own account of its unhandled errors: distinct messages with a count. */
  function unhandledCauses(): Record<string, number> {
    const causes: Record<string, number> = {};
    for (const line of server.logLines.filter((l) => /"level":50/.test(l))) {
      const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      const message = (parsed.err?.message ?? '').split('\n').map((m) => m.trim()).filter(Boolean).slice(-2).join(' / ');
      const key = `${parsed.msg}: ${message.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>').slice(0, 200)}`;
      causes[key] = (causes[key] ?? 0) + 1;
    }
    return causes;
  }

  afterAll(() => {
    if (violations.length > 0) console.log('[reliability:fuzz] unhandled errors logged by the server:', JSON.stringify(unhandledCauses(), null, 2));
  });

  it("leaves the server up and the bystander account's data unchanged", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await restClient(server.url, fuzz.token).get('/v1/account')).status).toBe(200);
    expect(await bystanderSnapshot()).toEqual(bystanderBefore);
    // Every error the server logged was met by send() and attributed to a request: a known bug's, or a violation.
    reportFigures('fuzz', {
      seed: SEED,
      restRuns: tried.rest,
      graphqlRuns: tried.graphql,
      restRoutes: tried.routes.size,
      graphqlOperations: tried.operations.size,
      statuses,
      knownBugs: knownBugs.counts,
      connectionsRefusedByLoopbackGuard: refusedConnections(),
      violations: violations.length,
    });
  });
});

