/**
 * Part 4 — isolation: two accounts, each with a stream, credential, OAuth app, sync (against the
 * emulator), HTTP consumer, NATS consumer, webhook and PostgreSQL consumers, and API token. Account B calls every REST route that
 * takes an id with account A's ids, refers to A's ids in its own bodies, and does the same over
 * GraphQL (queries, `node`/`nodes`, mutations, subscriptions). Every answer is the one an unknown
 * id gets (404 / 422 `*_not_found`; GraphQL: null or `not_found`), and nothing of A changes.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import type { NatsConnection } from 'nats';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { graphqlClient } from '../support/api.ts';
import { addStream, connectNats, deleteStream, SHARED_NATS, uniqueName } from '../support/nats.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { accountFingerprint } from './support/account-snapshot.ts';
import { reportFigures } from './support/report.ts';
import { fillPath, restRoutes, type RouteSpec } from './support/routes.ts';
import { createTenant, type Tenant } from './support/tenant.ts';

const NOT_FOUND_CODES = new Set(['not_found', 'NOT_FOUND']);

describe("isolation: account B can neither see nor change account A's resources", () => {
  let emulator: StripeEmulator;
  let server: TestServer;
  let nc: NatsConnection;
  let a: Tenant;
  let b: Tenant;
  let aTokens: string[] = [];
  let aLeasedUpstreamId = '';
  /** Each tenant's webhook and PostgreSQL consumers (issue 23), by tenant name. */
  const pushConsumers = new Map<Tenant, { webhook: string; postgres: string }>();
  const jetStreams: string[] = [];
  const checks = { rest: 0, restBodyRefs: 0, graphql: 0, subscriptions: 0 };

  beforeAll(async () => {
    emulator = await startStripeEmulator({ seed: { customer: 120 }, randomSeed: 21 });
    server = await startTestServer({ LOG_LEVEL: 'warn' });
    nc = await connectNats(SHARED_NATS);
    const prefixes = [uniqueName('rel-iso-a'), uniqueName('rel-iso-b')];
    for (const prefix of prefixes) {
      const name = uniqueName('SYNCLINE-REL-ISO').toUpperCase();
      await addStream(nc, name, prefix, { latestOnly: true });
      jetStreams.push(name);
    }
    a = await createTenant(server.url, ROOT_TOKEN, 'tenant-a', emulator, prefixes[0]!);
    b = await createTenant(server.url, ROOT_TOKEN, 'tenant-b', emulator, prefixes[1]!);
    for (const t of [a, b]) await waitForBackfill(t.api, t.syncId, 60_000);
    for (const [t, name] of [[a, 'a'], [b, 'b']] as const) {
      // A receiver that is not there (its deliveries are retried, never dead-lettered within the test)
      // and a table in the server's own database.
      const webhook = await t.api.post('/v1/webhook-consumers', { name: `iso-${name}-hook`, sync_id: t.syncId, url: 'http://127.0.0.1:9/hook' });
      expect(webhook.status).toBe(201);
      const postgres = await t.api.post('/v1/postgres-consumers', { name: `iso-${name}-pg`, sync_id: t.syncId, connection: { url: server.database.url }, table: `public.iso_${name}_records` });
      expect(postgres.status).toBe(201);
      pushConsumers.set(t, { webhook: webhook.body.id, postgres: postgres.body.id });
    }
    // A leases a few messages and keeps them (ack_wait_ms is an hour): B will try to ack / nack them.
    const leased = await a.api.post(`/v1/http-consumers/${a.httpConsumerId}/next`, { batch_size: 5 });
    expect(leased.status).toBe(200);
    aTokens = leased.body.map((m: { ack_token: string }) => m.ack_token);
    aLeasedUpstreamId = leased.body[0].record.upstream_id;
    expect(aTokens).toHaveLength(5);
    // A's NATS consumer has published everything; A's sync is paused: nothing of A moves by itself now.
    await waitFor(async () => (await a.api.get(`/v1/nats_consumers/${a.natsConsumerId}`)).body.lag === 0, 30_000, "A's NATS consumer to catch up");
    expect((await a.api.post(`/v1/syncs/${a.syncId}/pause`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // the consumer history buffer (100 ms) is flushed
  });

  afterAll(async () => {
    await server?.stop();
    await emulator?.close();
    if (nc) {
      for (const name of jetStreams) await deleteStream(nc, name);
      await nc.close();
    }
  });

  /** What A looks like through its own API, minus what moves by itself (NATS publisher runtime). */
  async function apiSnapshot(t: Tenant) {
    const get = async (path: string) => {
      const answer = await t.api.get(path);
      return { status: answer.status, body: answer.body };
    };
    const stable = ({ connection_state: _c, state: _s, last_error: _e, last_published_at: _p, last_delivered_at: _d, lag_seconds: _l, ...rest }: Record<string, unknown>) => rest;
    const nats = await get(`/v1/nats_consumers/${t.natsConsumerId}`);
    const natsStable = stable(nats.body);
    const status = await get(`/v1/syncs/${t.syncId}/status`);
    const { requests_made: _r, rate_limit_wait_ms: _w, retries: _t, last_poll_at: _l, ...statusStable } = status.body;
    return {
      lists: await Promise.all(
        ['/v1/streams', '/v1/credentials', '/v1/oauth-apps', '/v1/syncs', '/v1/http-consumers', '/v1/nats_consumers', '/v1/api-tokens'].map(async (path) => {
          const list = await get(path);
          // NATS consumers' runtime moves by itself (connection, lag in seconds).
          return path === '/v1/nats_consumers' && Array.isArray(list.body?.data) ? { ...list, body: { ...list.body, data: list.body.data.map(stable) } } : list;
        }),
      ),
      byId: await Promise.all(
        [
          `/v1/streams/${t.streamId}`,
          `/v1/credentials/${t.credentialId}`,
          `/v1/oauth-apps/${t.oauthAppId}`,
          `/v1/syncs/${t.syncId}`,
          `/v1/http-consumers/${t.httpConsumerId}`,
          `/v1/http-consumers/${t.httpConsumerId}/messages/${aLeasedUpstreamId}`,
          `/v1/syncs/${t.syncId}/records?limit=1000`,
          `/v1/account`,
        ].map(get),
      ),
      nats: natsStable,
      status: statusStable,
    };
  }

  /** A's REST id for a route's `:id`, by the resource the path names. */
  function idFor(route: RouteSpec, t: Tenant): string {
    const resource = route.path.split('/')[2];
    const ids: Record<string, string> = {
      accounts: t.accountId,
      'api-tokens': t.apiTokenId,
      credentials: t.credentialId,
      'http-consumers': t.httpConsumerId,
      nats_consumers: t.natsConsumerId,
      'nats-consumers': t.natsConsumerId,
      'oauth-apps': t.oauthAppId,
      streams: t.streamId,
      syncs: t.syncId,
      http_pull_consumers: t.httpConsumerId,
      'webhook-consumers': pushConsumers.get(t)?.webhook ?? '',
      webhook_consumers: pushConsumers.get(t)?.webhook ?? '',
      'postgres-consumers': pushConsumers.get(t)?.postgres ?? '',
      postgres_consumers: pushConsumers.get(t)?.postgres ?? '',
    };
    const id = ids[resource ?? ''];
    if (!id) throw new Error(`no id of A for ${route.method} ${route.path}: add the resource to the isolation test`);
    return id;
  }

  /** A body that would be valid for the route, so that a 404 is not a validation error in disguise. */
  function validBody(route: RouteSpec): unknown {
    if (route.method === 'PATCH') return { name: 'hijacked-by-b' };
    if (route.path.endsWith('/ack') || route.path.endsWith('/nack')) {
      return route.path.startsWith('/api/') ? { ack_ids: aTokens } : { ack_tokens: aTokens };
    }
    if (route.path.endsWith('/next') || route.path.endsWith('/receive')) return { batch_size: 10 };
    if (route.path.endsWith('/dead-letters/redeliver')) return { all: true };
    if (route.path.endsWith('/reset')) return { deliver_policy: 'all' };
    return undefined;
  }

  async function call(t: Tenant, method: string, path: string, body: unknown) {
    if (method === 'GET' && body !== undefined) {
      return t.api.raw('GET', `${path}?${new URLSearchParams(body as Record<string, string>)}`);
    }
    return t.api.raw(method, path, method === 'GET' || method === 'DELETE' ? undefined : (body ?? {}));
  }

  it('REST: every route that takes an id answers B with 404 for A\'s ids, exactly as for an unknown id', async () => {
    const routes = (await restRoutes()).filter((r) => r.params.includes('id') || r.params.includes('ref'));
    expect(routes.length).toBeGreaterThan(20);
    const before = { db: await accountFingerprint(server.database.url, a.accountId), api: await apiSnapshot(a) };
    const failures: string[] = [];
    for (const route of routes) {
      const refs: Record<string, string>[] = [];
      const aId = idFor(route, a);
      refs.push({ id: aId, ref: aId, upstreamId: aLeasedUpstreamId });
      if (route.params.includes('ref')) refs.push({ ref: a.httpConsumerName });
      if (route.params.includes('upstreamId')) refs.push({ id: aId, upstreamId: 'cus_does_not_exist' });
      for (const values of refs) {
        const body = validBody(route);
        const answer = await call(b, route.method, fillPath(route, values), body);
        const unknownValues = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, k === 'upstreamId' ? v : k === 'ref' && !/^[0-9a-f-]{36}$/.test(v) ? `no-such-${v}` : randomUUID()]));
        const unknown = await call(b, route.method, fillPath(route, unknownValues), body);
        checks.rest++;
        const label = `${route.method} ${fillPath(route, values)}`;
        if (answer.status !== 404 || !NOT_FOUND_CODES.has(answer.body?.error?.code)) failures.push(`${label} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
        if (answer.status !== unknown.status || answer.body?.error?.code !== unknown.body?.error?.code) {
          failures.push(`${label} → ${answer.status} ${answer.body?.error?.code}, but an unknown id gets ${unknown.status} ${unknown.body?.error?.code}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // A's own calls still work with its tokens and ids: nothing was acked, renamed, paused or deleted.
    expect({ db: await accountFingerprint(server.database.url, a.accountId), api: await apiSnapshot(a) }).toEqual(before);
    // The ids were real: A itself reads every one of them (routes that lease messages aside).
    for (const route of routes.filter((r) => r.method === 'GET' && !/next|receive/.test(r.path))) {
      const aId = idFor(route, a);
      const own = await call(a, 'GET', fillPath(route, { id: aId, ref: aId, upstreamId: aLeasedUpstreamId }), undefined);
      expect(own.status, `A's own GET ${route.path}`).toBe(200);
    }
    // A's leases are still A's: A can nack them (keeping them leased for an hour more).
    const nack = await a.api.post(`/v1/http-consumers/${a.httpConsumerId}/nack`, { ack_tokens: aTokens, delay_ms: 3_600_000 });
    expect(nack.body).toMatchObject({ nacked: 5, invalid_ack_tokens: [] });
    await new Promise((r) => setTimeout(r, 300)); // its history event is flushed before the next snapshot
  });

  it("REST: B's own resources cannot refer to A's ids (stream, sync, credential, OAuth app, consumers, tokens)", async () => {
    const before = { db: await accountFingerprint(server.database.url, a.accountId), api: await apiSnapshot(a) };
    const emulatorWrites = () => emulator.requestLog.filter((e) => e.method === 'POST' || e.method === 'DELETE').length;
    const writesBefore = emulatorWrites();
    const customer = emulator.objects('customer')[0]!.id as string;
    const bodies: { method: string; path: string; body: (id: string) => unknown; ref: keyof Tenant }[] = [
      { method: 'POST', path: '/v1/http-consumers', body: (id) => ({ name: `b-c-${randomUUID().slice(0, 8)}`, stream_id: id }), ref: 'streamId' },
      { method: 'POST', path: '/v1/http-consumers', body: (id) => ({ name: `b-c-${randomUUID().slice(0, 8)}`, sync_id: id }), ref: 'syncId' },
      { method: 'POST', path: '/v1/nats_consumers', body: (id) => ({ name: `b-n-${randomUUID().slice(0, 8)}`, sync_id: id, nats: SHARED_NATS }), ref: 'syncId' },
      { method: 'POST', path: '/v1/nats_consumers', body: (id) => ({ name: `b-n-${randomUUID().slice(0, 8)}`, stream_id: id, nats: SHARED_NATS }), ref: 'streamId' },
      { method: 'POST', path: '/v1/webhook-consumers', body: (id) => ({ name: `b-w-${randomUUID().slice(0, 8)}`, sync_id: id, url: 'http://127.0.0.1:9/hook' }), ref: 'syncId' },
      { method: 'POST', path: '/v1/webhook-consumers', body: (id) => ({ name: `b-w-${randomUUID().slice(0, 8)}`, stream_id: id, url: 'http://127.0.0.1:9/hook' }), ref: 'streamId' },
      {
        method: 'POST',
        path: '/v1/postgres-consumers',
        body: (id) => ({ name: `b-p-${randomUUID().slice(0, 8)}`, sync_id: id, connection: { url: server.database.url }, table: 'public.iso_b_refs' }),
        ref: 'syncId',
      },
      {
        method: 'POST',
        path: '/v1/syncs',
        body: (id) => ({ provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: id }),
        ref: 'credentialId',
      },
      {
        method: 'POST',
        path: '/v1/syncs',
        body: (id) => ({ provider: 'stripe', collection_ids: ['stripe:customer'], stream_id: id, credential_id: b.credentialId }),
        ref: 'streamId',
      },
      { method: 'PATCH', path: `/v1/syncs/${b.syncId}`, body: (id) => ({ credential_id: id }), ref: 'credentialId' },
      { method: 'POST', path: '/v1/credentials', body: (id) => ({ kind: 'stripe', secret: 'sk_test_b', oauth_app_id: id }), ref: 'oauthAppId' },
      { method: 'PATCH', path: `/v1/credentials/${b.credentialId}`, body: (id) => ({ oauth_app_id: id }), ref: 'oauthAppId' },
      {
        method: 'POST',
        path: '/v1/mutations/run',
        body: (id) => ({ kind: 'update', sync_id: id, collection_id: 'stripe:customer', data: [{ id: customer, name: 'hijacked-by-b' }] }),
        ref: 'syncId',
      },
      {
        method: 'POST',
        path: '/v1/mutations/run',
        body: (id) => ({ kind: 'delete', sync_id: id, collection_id: 'stripe:customer', upstream_ids: [customer] }),
        ref: 'syncId',
      },
      {
        method: 'POST',
        path: '/v1/mutations/run',
        body: (id) => ({ kind: 'update', sync_id: b.syncId, collection_id: 'stripe:customer', data: [{ id: customer, name: 'b' }], await_consumer_ids: [id] }),
        ref: 'httpConsumerId',
      },
      {
        method: 'POST',
        path: '/v1/mutations/run',
        body: (id) => ({ kind: 'update', sync_id: b.syncId, collection_id: 'stripe:customer', data: [{ id: customer, name: 'b' }], await_consumer_ids: [id] }),
        ref: 'natsConsumerId',
      },
    ];
    const failures: string[] = [];
    for (const { method, path, body, ref } of bodies) {
      const answer = await call(b, method, path, body(a[ref] as string));
      const unknown = await call(b, method, path, body(randomUUID()));
      checks.restBodyRefs++;
      const label = `${method} ${path} with A's ${ref}`;
      const code: string = answer.body?.error?.code ?? '';
      // `*_not_found`, or a refusal whose details say the referenced id was not found (invalid_credential).
      const notFound = /not_found$/.test(code) || (answer.body?.error?.details ?? []).some((d: { message: string }) => / not found$/.test(d.message));
      if (![404, 422].includes(answer.status) || !notFound) failures.push(`${label} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      if (answer.status !== unknown.status || code !== unknown.body?.error?.code) {
        failures.push(`${label} → ${answer.status} ${code}, but an unknown id gets ${unknown.status} ${unknown.body?.error?.code}`);
      }
    }
    // B's own consumer cannot ack A's tokens (they are simply unknown to it).
    const stolen = await b.api.post(`/v1/http-consumers/${b.httpConsumerId}/ack`, { ack_tokens: aTokens });
    expect(stolen.body).toMatchObject({ acked: 0, invalid_ack_tokens: aTokens });
    const stolenNack = await b.api.post(`/v1/http-consumers/${b.httpConsumerId}/nack`, { ack_tokens: aTokens });
    expect(stolenNack.body).toMatchObject({ nacked: 0 });
    checks.restBodyRefs += 2;
    expect(failures).toEqual([]);
    expect(emulatorWrites()).toBe(writesBefore);
    expect({ db: await accountFingerprint(server.database.url, a.accountId), api: await apiSnapshot(a) }).toEqual(before);
  });

  it("GraphQL: B gets null or not_found for A's ids in node(s), by-id queries, mutations and subscriptions", async () => {
    const gqlA = graphqlClient(server.url, a.token);
    const gqlB = graphqlClient(server.url, b.token);
    const globalIds = (
      await gqlA(
        `query($s: ID!, $c: ID!, $y: ID!, $h: ID!, $n: ID!) {
          stream(id: $s) { id } credential(id: $c) { id } sync(id: $y) { id } httpConsumer(id: $h) { id } natsConsumer(id: $n) { id }
          oauthApps { edges { node { id uuid } } } }`,
        { s: a.streamId, c: a.credentialId, y: a.syncId, h: a.httpConsumerId, n: a.natsConsumerId },
      )
    ).data;
    const aGlobal = {
      stream: globalIds.stream.id as string,
      credential: globalIds.credential.id as string,
      sync: globalIds.sync.id as string,
      httpConsumer: globalIds.httpConsumer.id as string,
      natsConsumer: globalIds.natsConsumer.id as string,
      oauthApp: globalIds.oauthApps.edges.find((e: { node: { uuid: string } }) => e.node.uuid === a.oauthAppId).node.id as string,
    };
    const before = { db: await accountFingerprint(server.database.url, a.accountId), api: await apiSnapshot(a) };
    const failures: string[] = [];

    /** `field` must come back null without error, or as a not_found error. */
    const expectHidden = async (label: string, query: string, variables: Record<string, unknown>, field: string) => {
      const answer = await gqlB(query, variables);
      checks.graphql++;
      const value = answer.data?.[field];
      const codes = (answer.errors ?? []).map((e: any) => e.extensions?.code);
      const hidden = (value === null || value === undefined) && (codes.length === 0 || codes.every((c: string) => NOT_FOUND_CODES.has(c)));
      if (!hidden) failures.push(`${label} → ${JSON.stringify(answer).slice(0, 300)}`);
    };

    const byUuidAndGlobal = (uuid: string, global: string) => [uuid, global];
    for (const [name, field, uuid, global] of [
      ['stream', 'stream', a.streamId, aGlobal.stream],
      ['credential', 'credential', a.credentialId, aGlobal.credential],
      ['sync', 'sync', a.syncId, aGlobal.sync],
      ['httpConsumer', 'httpConsumer', a.httpConsumerId, aGlobal.httpConsumer],
      ['natsConsumer', 'natsConsumer', a.natsConsumerId, aGlobal.natsConsumer],
    ] as const) {
      for (const id of byUuidAndGlobal(uuid, global)) await expectHidden(`${name}(${id})`, `query($id: ID!) { ${field}(id: $id) { id } }`, { id }, field);
    }
    for (const global of Object.values(aGlobal)) {
      await expectHidden(`node(${global})`, 'query($id: ID!) { node(id: $id) { id } }', { id: global }, 'node');
    }
    const nodes = await gqlB('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Object.values(aGlobal) });
    checks.graphql++;
    if (!(nodes.data?.nodes ?? [null]).every((n: unknown) => n === null) || (nodes.errors ?? []).some((e: any) => !NOT_FOUND_CODES.has(e.extensions?.code))) {
      failures.push(`nodes → ${JSON.stringify(nodes).slice(0, 300)}`);
    }
    for (const id of byUuidAndGlobal(a.syncId, aGlobal.sync)) {
      await expectHidden(`records(syncId: ${id})`, 'query($id: ID!) { records(syncId: $id, first: 5) { edges { node { upstreamId } } } }', { id }, 'records');
    }
    for (const id of byUuidAndGlobal(a.streamId, aGlobal.stream)) {
      const answer = await gqlB('query($id: ID) { syncs(streamId: $id) { edges { node { id } } } }', { id });
      checks.graphql++;
      const edges = answer.data?.syncs?.edges;
      const codes = (answer.errors ?? []).map((e: any) => e.extensions?.code);
      if (!(codes.length > 0 && codes.every((c: string) => NOT_FOUND_CODES.has(c))) && !(Array.isArray(edges) && edges.length === 0)) {
        failures.push(`syncs(streamId: ${id}) → ${JSON.stringify(answer).slice(0, 300)}`);
      }
    }

    // Mutations: each must answer not_found (or the same refusal an unknown id gets), and change nothing.
    const randomTenant = { ...a, streamId: randomUUID(), syncId: randomUUID(), apiTokenId: randomUUID(), httpConsumerId: randomUUID() };
    const randomIdsRef = {
      ...{ stream: randomUUID(), credential: randomUUID(), sync: randomUUID(), httpConsumer: randomUUID(), natsConsumer: randomUUID(), oauthApp: randomUUID() },
      tokens: aTokens,
      uuid: randomTenant,
    };
    const mutations: { label: string; query: string; variables: (ids: typeof aGlobal & { tokens: string[]; uuid: Tenant }) => Record<string, unknown> }[] = [
      { label: 'deleteStream', query: 'mutation($id: ID!) { deleteStream(id: $id) }', variables: (x) => ({ id: x.uuid.streamId }) },
      { label: 'deleteStream(global)', query: 'mutation($id: ID!) { deleteStream(id: $id) }', variables: (x) => ({ id: x.stream }) },
      { label: 'deleteCredential', query: 'mutation($id: ID!) { deleteCredential(id: $id) }', variables: (x) => ({ id: x.credential }) },
      { label: 'deleteOAuthApp', query: 'mutation($id: ID!) { deleteOAuthApp(id: $id) }', variables: (x) => ({ id: x.oauthApp }) },
      { label: 'deleteSync', query: 'mutation($id: ID!) { deleteSync(id: $id) }', variables: (x) => ({ id: x.sync }) },
      { label: 'deleteHttpConsumer', query: 'mutation($id: ID!) { deleteHttpConsumer(id: $id) }', variables: (x) => ({ id: x.httpConsumer }) },
      { label: 'deleteNatsConsumer', query: 'mutation($id: ID!) { deleteNatsConsumer(id: $id) }', variables: (x) => ({ id: x.natsConsumer }) },
      { label: 'revokeApiToken', query: 'mutation($id: ID!) { revokeApiToken(id: $id) }', variables: (x) => ({ id: x.uuid.apiTokenId }) },
      { label: 'pauseSync', query: 'mutation($id: ID!) { pauseSync(id: $id) { id } }', variables: (x) => ({ id: x.sync }) },
      { label: 'resumeSync', query: 'mutation($id: ID!) { resumeSync(id: $id) { id } }', variables: (x) => ({ id: x.sync }) },
      { label: 'resyncSync', query: 'mutation($id: ID!) { resyncSync(id: $id) { id } }', variables: (x) => ({ id: x.uuid.syncId }) },
      { label: 'updateSync', query: 'mutation($id: ID!) { updateSync(id: $id, input: { name: "hijacked" }) { id } }', variables: (x) => ({ id: x.sync }) },
      {
        label: 'updateCredential',
        query: 'mutation($id: ID!) { updateCredential(id: $id, input: { name: "hijacked" }) { id } }',
        variables: (x) => ({ id: x.credential }),
      },
      {
        label: 'updateHttpConsumer',
        query: 'mutation($id: ID!) { updateHttpConsumer(id: $id, input: { name: "hijacked" }) { id } }',
        variables: (x) => ({ id: x.httpConsumer }),
      },
      {
        label: 'updateNatsConsumer',
        query: 'mutation($id: ID!) { updateNatsConsumer(id: $id, input: { name: "hijacked" }) { id } }',
        variables: (x) => ({ id: x.natsConsumer }),
      },
      { label: 'consumeNext', query: 'mutation($id: ID!) { consumeNext(consumerId: $id, batchSize: 10) { ackToken } }', variables: (x) => ({ id: x.httpConsumer }) },
      {
        label: 'ackMessages',
        query: 'mutation($id: ID!, $t: [String!]!) { ackMessages(consumerId: $id, ackTokens: $t) { count } }',
        variables: (x) => ({ id: x.httpConsumer, t: x.tokens }),
      },
      {
        label: 'nackMessages',
        query: 'mutation($id: ID!, $t: [String!]!) { nackMessages(consumerId: $id, ackTokens: $t) { count } }',
        variables: (x) => ({ id: x.uuid.httpConsumerId, t: x.tokens }),
      },
      {
        label: 'createHttpConsumer(streamId)',
        query: 'mutation($id: ID!, $n: String!) { createHttpConsumer(input: { name: $n, streamId: $id }) { id } }',
        variables: (x) => ({ id: x.stream, n: `b-gql-${randomUUID().slice(0, 8)}` }),
      },
      {
        label: 'createHttpConsumer(syncId)',
        query: 'mutation($id: ID!, $n: String!) { createHttpConsumer(input: { name: $n, syncId: $id }) { id } }',
        variables: (x) => ({ id: x.sync, n: `b-gql-${randomUUID().slice(0, 8)}` }),
      },
      {
        label: 'createNatsConsumer(syncId)',
        query: 'mutation($id: ID!, $n: String!) { createNatsConsumer(input: { name: $n, syncId: $id, nats: { host: "127.0.0.1", port: 4222 } }) { id } }',
        variables: (x) => ({ id: x.sync, n: `b-gql-${randomUUID().slice(0, 8)}` }),
      },
      {
        label: 'createSync(credentialId)',
        query: 'mutation($id: ID!) { createSync(input: { provider: "stripe", collectionIds: ["stripe:customer"], credentialId: $id }) { id } }',
        variables: (x) => ({ id: x.credential }),
      },
      {
        label: 'createSync(streamId)',
        query: 'mutation($id: ID!, $c: ID!) { createSync(input: { provider: "stripe", collectionIds: ["stripe:customer"], credentialId: $c, streamId: $id }) { id } }',
        variables: (x) => ({ id: x.stream, c: b.credentialId }),
      },
      {
        label: 'updateSync(own sync, credentialId)',
        query: 'mutation($id: ID!, $c: ID!) { updateSync(id: $c, input: { credentialId: $id }) { id } }',
        variables: (x) => ({ id: x.credential, c: b.syncId }),
      },
      {
        label: 'createCredential(oauthAppId)',
        query: 'mutation($id: ID!) { createCredential(input: { kind: "stripe", secret: "sk_test_b", oauthAppId: $id }) { id } }',
        variables: (x) => ({ id: x.oauthApp }),
      },
      {
        label: 'createCredential(oauthAppId uuid)',
        query: 'mutation($id: ID!) { createCredential(input: { kind: "stripe", secret: "sk_test_b", oauthAppId: $id }) { id } }',
        variables: (x) => ({ id: x === randomIdsRef ? randomUUID() : a.oauthAppId }),
      },
      {
        label: 'updateCredential(own credential, oauthAppId)',
        query: 'mutation($id: ID!, $c: ID!) { updateCredential(id: $c, input: { oauthAppId: $id }) { id } }',
        variables: (x) => ({ id: x === randomIdsRef ? randomUUID() : a.oauthAppId, c: b.credentialId }),
      },
      {
        label: 'runMutation(syncId)',
        query: 'mutation($id: ID!, $d: [JSON!]) { runMutation(input: { kind: "update", syncId: $id, collectionId: "stripe:customer", data: $d }) { runId } }',
        variables: (x) => ({ id: x.sync, d: [{ id: emulator.objects('customer')[0]!.id, name: 'hijacked' }] }),
      },
      {
        label: 'runMutation(awaitConsumerIds)',
        query:
          'mutation($id: ID!, $s: ID!, $d: [JSON!]) { runMutation(input: { kind: "update", syncId: $s, collectionId: "stripe:customer", data: $d, awaitConsumerIds: [$id] }) { runId } }',
        variables: (x) => ({ id: x.httpConsumer, s: b.syncId, d: [{ id: emulator.objects('customer')[0]!.id, name: 'b' }] }),
      },
    ];
    for (const { label, query, variables } of mutations) {
      const answer = await gqlB(query, variables({ ...aGlobal, tokens: aTokens, uuid: a }));
      const unknown = await gqlB(query, variables(randomIdsRef));
      checks.graphql++;
      const codes = (answer.errors ?? []).map((e: any) => e.extensions?.code);
      const unknownCodes = (unknown.errors ?? []).map((e: any) => e.extensions?.code);
      const notFoundDetail = (answer.errors ?? []).some((e: any) => (e.extensions?.details ?? []).some((d: { message: string }) => / not found$/.test(d.message)));
      const refused = codes.length > 0 && codes.every((c: string) => /not_found$/i.test(c) || (c === 'invalid_credential' && notFoundDetail));
      if (!refused) failures.push(`${label} → ${JSON.stringify(answer).slice(0, 300)}`);
      if (JSON.stringify(codes) !== JSON.stringify(unknownCodes)) failures.push(`${label} → ${codes}, but an unknown id gets ${unknownCodes}`);
    }

    // Subscriptions: refused before anything is sent.
    const ws = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${b.token}` } });
    for (const [label, query, variables] of [
      ['recordChanged(streamId)', 'subscription($id: ID!) { recordChanged(streamId: $id, afterIdx: "0") { upstreamId } }', { id: aGlobal.stream }],
      ['recordChanged(streamId uuid)', 'subscription($id: ID!) { recordChanged(streamId: $id, afterIdx: "0") { upstreamId } }', { id: a.streamId }],
      ['recordChanged(syncId)', 'subscription($id: ID!, $s: ID!) { recordChanged(streamId: $s, syncId: $id, afterIdx: "0") { upstreamId } }', { id: a.syncId, s: b.streamId }],
      ['syncStatusChanged', 'subscription($id: ID!) { syncStatusChanged(syncId: $id) { state } }', { id: aGlobal.sync }],
    ] as const) {
      const outcome = await new Promise<{ data: unknown[]; errors: unknown[] }>((resolve) => {
        const data: unknown[] = [];
        const timer = setTimeout(() => {
          stop();
          resolve({ data, errors: [] });
        }, 1500);
        const stop = ws.subscribe(
          { query, variables },
          {
            next: (value) => {
              if (value.errors) {
                clearTimeout(timer);
                resolve({ data, errors: [...value.errors] });
              } else data.push(value.data);
            },
            error: (error) => {
              clearTimeout(timer);
              resolve({ data, errors: Array.isArray(error) ? error : [error] });
            },
            complete: () => {
              clearTimeout(timer);
              resolve({ data, errors: [] });
            },
          },
        );
      });
      checks.subscriptions++;
      const codes = outcome.errors.map((e: any) => e.extensions?.code);
      // Refused with not_found, or (for a filter on someone else's sync) simply nothing of A's.
      const leaked = outcome.data.filter((d: any) => d?.recordChanged || d?.syncStatusChanged);
      if (leaked.length > 0) failures.push(`${label} leaked ${JSON.stringify(leaked).slice(0, 200)}`);
      if (codes.some((c: string) => !NOT_FOUND_CODES.has(c))) failures.push(`${label} → ${JSON.stringify(outcome.errors).slice(0, 300)}`);
      if (label !== 'recordChanged(syncId)' && codes.length === 0) failures.push(`${label} was accepted (no not_found error)`);
    }
    await ws.dispose();

    expect(failures).toEqual([]);
    expect(emulator.objects('customer').some((c) => c.name === 'hijacked')).toBe(false);
    expect({ db: await accountFingerprint(server.database.url, a.accountId), api: await apiSnapshot(a) }).toEqual(before);
  });

  it('reports its figures', () => {
    reportFigures('isolation', {
      ...checks,
      total: checks.rest + checks.restBodyRefs + checks.graphql + checks.subscriptions,
      violations: 0,
    });
  });
});
