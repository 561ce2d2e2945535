import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalIdTakenError } from '../../src/domain/syncs/decide.ts';
import type { SyncEvent } from '../../src/domain/syncs/events.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { rebuildReadModels } from '../../src/projections/rebuild.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { dumpReadModels } from '../support/read-models.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/** Syncs for many tenants (issue 23, item 5): `external_id`, and the filters of `GET /v1/syncs`. */
describe('sync external_id and list filters over REST', () => {
  let server: TestServer;
  let api: RestClient;
  let other: RestClient;
  let stripeCredential: string;
  let otherCredential: string;

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const root = restClient(server.url, ROOT_TOKEN);
    api = restClient(server.url, (await root.post('/v1/accounts', { name: 'tenants' })).body.api_token.token);
    other = restClient(server.url, (await root.post('/v1/accounts', { name: 'tenants-other' })).body.api_token.token);
    stripeCredential = (await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_tenants' })).body.id;
    otherCredential = (await other.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_other' })).body.id;
  });
  afterAll(async () => {
    await server.stop();
  });

  const stripeSync = (fields: Record<string, unknown> = {}) => ({ provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: stripeCredential, ...fields });
  const ids = (answer: { body: { data: { id: string }[] } }) => answer.body.data.map((s) => s.id);

  it('creates a sync with an external_id (trimmed), answers it, and refuses a second one in the account with 409', async () => {
    const created = await api.post('/v1/syncs', stripeSync({ name: 'acme', external_id: '  tenant-1 ' }));
    expect(created.status).toBe(201);
    expect(created.body.external_id).toBe('tenant-1');
    expect((await api.get(`/v1/syncs/${created.body.id}`)).body.external_id).toBe('tenant-1');
    const plain = await api.post('/v1/syncs', stripeSync({ name: 'no external id' }));
    expect(plain.body.external_id).toBeNull();

    const duplicate = await api.post('/v1/syncs', stripeSync({ external_id: 'tenant-1' }));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('external_id_taken');
    // an inline credential is not created for a create refused this early
    const credentials = (await api.get('/v1/credentials')).body.data.length;
    const inline = await api.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], external_id: 'tenant-1', credential: { properties: { kind: 'stripe', secret: 'sk_test_x' } } });
    expect(inline.body.error.code).toBe('external_id_taken');
    expect((await api.get('/v1/credentials')).body.data).toHaveLength(credentials);

    // exact comparison: case differs, so it is another id
    expect((await api.post('/v1/syncs', stripeSync({ external_id: 'TENANT-1' }))).status).toBe(201);
    // and a PATCH onto a taken id is refused the same way; onto its own, accepted
    const taken = await api.patch(`/v1/syncs/${plain.body.id}`, { external_id: 'tenant-1' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('external_id_taken');
    expect((await api.patch(`/v1/syncs/${created.body.id}`, { external_id: 'tenant-1', name: 'acme 2' })).body).toMatchObject({ external_id: 'tenant-1', name: 'acme 2' });
  });

  it('lets another account use the same external_id, and never shows one account the other\'s', async () => {
    const mine = await api.post('/v1/syncs', stripeSync({ external_id: 'shared-id' }));
    const theirs = await other.post('/v1/syncs', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: otherCredential, external_id: 'shared-id' });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(ids(await api.get('/v1/syncs?external_id=shared-id'))).toEqual([mine.body.id]);
    expect(ids(await other.get('/v1/syncs?external_id=shared-id'))).toEqual([theirs.body.id]);
  });

  it('keeps the external_id on a PATCH that leaves it out, clears it with null, and frees it for another sync', async () => {
    const sync = await api.post('/v1/syncs', stripeSync({ external_id: 'to-clear' }));
    expect((await api.patch(`/v1/syncs/${sync.body.id}`, { poll_interval_ms: 2000 })).body.external_id).toBe('to-clear');
    const cleared = await api.patch(`/v1/syncs/${sync.body.id}`, { external_id: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.external_id).toBeNull();
    expect(ids(await api.get('/v1/syncs?external_id=to-clear'))).toEqual([]);
    const next = await api.post('/v1/syncs', stripeSync({ external_id: 'to-clear' }));
    expect(next.status).toBe(201);
    // a deleted sync frees its external_id too
    expect((await api.delete(`/v1/syncs/${next.body.id}`)).status).toBe(204);
    expect((await api.post('/v1/syncs', stripeSync({ external_id: 'to-clear' }))).status).toBe(201);
  });

  it('refuses a malformed external_id with 400 validation_failed', async () => {
    const sync = await api.post('/v1/syncs', stripeSync());
    for (const bad of ['', '   ', 'x'.repeat(256), 'a\u0001b', 'tab\tinside', 'a\u0085b', 42, 'nul\u0000']) {
      const created = await api.post('/v1/syncs', stripeSync({ external_id: bad }));
      expect([created.status, created.body.error?.code, JSON.stringify(bad)]).toEqual([400, 'validation_failed', JSON.stringify(bad)]);
      expect((await api.patch(`/v1/syncs/${sync.body.id}`, { external_id: bad })).status).toBe(400);
    }
    expect((await api.post('/v1/syncs', stripeSync({ external_id: 'y'.repeat(255) }))).status).toBe(201);
  });

  it('answers exactly one 201 to parallel creates of one external_id, and 409 to the rest (never a 500)', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api.post('/v1/syncs', stripeSync({ name: `race ${i}`, external_id: 'race-create' }))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'external_id_taken')).toBe(true);
    expect(ids(await api.get('/v1/syncs?external_id=race-create'))).toHaveLength(1);

    // PATCHes of different syncs are not serialized anywhere but by the unique index
    const syncs = await Promise.all(Array.from({ length: 6 }, () => api.post('/v1/syncs', stripeSync())));
    const patches = await Promise.all(syncs.map((s) => api.patch(`/v1/syncs/${s.body.id}`, { external_id: 'race-patch' })));
    expect(patches.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(ids(await api.get('/v1/syncs?external_id=race-patch'))).toHaveLength(1);
  });

  it('refuses in the read model itself an append the early check did not see (the index is the final word)', async () => {
    const first = await api.post('/v1/syncs', stripeSync({ external_id: 'index-final' }));
    const accountId = first.body.account_id as string;
    const syncId = server.app.ctx.newId();
    const event: SyncEvent = {
      type: 'SyncCreated',
      data: {
        syncId,
        accountId,
        streamId: first.body.stream_id,
        provider: 'stripe',
        name: 'bypass',
        collectionIds: ['stripe:customer'],
        rateLimit: { allowedRequests: 1, intervalSeconds: 1, maxConcurrentRequests: 0 },
        credentialId: stripeCredential,
        metadata: {},
        pollIntervalMs: 5000,
        externalId: 'index-final',
        createdAt: new Date().toISOString(),
      },
    };
    const appended = server.app.ctx.eventStore.appendToStream(`sync-${syncId}`, [event]);
    await expect(appended).rejects.toBeInstanceOf(ExternalIdTakenError);
    await expect(appended).rejects.toMatchObject({ code: 'external_id_taken', status: 409 });
    expect((await api.get(`/v1/syncs/${syncId}`)).status).toBe(404);
  });

  describe('filters of GET /v1/syncs', () => {
    let filtered: RestClient;
    const syncs: Record<string, string> = {};
    beforeAll(async () => {
      // An account of its own, so that the expected lists are exact.
      const root = restClient(server.url, ROOT_TOKEN);
      filtered = restClient(server.url, (await root.post('/v1/accounts', { name: 'filters' })).body.api_token.token);
      const stripe = (await filtered.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_filters' })).body.id;
      const github = (await filtered.post('/v1/credentials', { kind: 'github', access_token: 'ghp_filters' })).body.id;
      const make = async (key: string, fields: Record<string, unknown>) => {
        const created = await filtered.post('/v1/syncs', { name: key, ...fields });
        expect(created.status).toBe(201);
        syncs[key] = created.body.id;
      };
      await make('acme', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: stripe, external_id: 'acme', metadata: { tenant: 'acme', tier: 'gold', seats: 25, beta: true } });
      await make('beta', { provider: 'stripe', collection_ids: ['stripe:customer'], credential_id: stripe, external_id: 'beta', metadata: { tenant: 'beta', tier: 'gold', seats: '25' } });
      await make('acmeGithub', { provider: 'github', collection_ids: ['github:issue'], credential_id: github, metadata: { tenant: 'acme', tier: 'silver', 'odd,key{}': 'x', 'region.name': 'eu west' } });
      await make('bare', { provider: 'github', collection_ids: ['github:issue'], credential_id: github });
    });

    const list = async (query: string) => {
      const answer = await filtered.get(`/v1/syncs${query}`);
      expect(answer.status).toBe(200);
      return answer.body.data.map((s: { name: string }) => s.name);
    };

    it('filters by external_id, provider and metadata values, each alone', async () => {
      expect(await list('')).toEqual(['acme', 'beta', 'acmeGithub', 'bare']);
      expect(await list('?external_id=acme')).toEqual(['acme']);
      expect(await list('?external_id=%20beta%20')).toEqual(['beta']);
      expect(await list('?external_id=nobody')).toEqual([]);
      expect(await list('?provider=github')).toEqual(['acmeGithub', 'bare']);
      expect(await list('?provider=hubspot')).toEqual([]);
      expect(await list('?metadata.tenant=acme')).toEqual(['acme', 'acmeGithub']);
      expect(await list('?metadata.tier=gold')).toEqual(['acme', 'beta']);
      expect(await list('?metadata.tenant=ACME')).toEqual([]);
      expect(await list('?metadata.missing=acme')).toEqual([]);
      // a number or boolean stored in metadata matches the value written so; a string too
      expect(await list('?metadata.seats=25')).toEqual(['acme', 'beta']);
      expect(await list('?metadata.beta=true')).toEqual(['acme']);
      // keys are taken as they are: commas, braces and dots included
      expect(await list(`?metadata.${encodeURIComponent('odd,key{}')}=x`)).toEqual(['acmeGithub']);
      expect(await list('?metadata.region.name=eu%20west')).toEqual(['acmeGithub']);
      expect(await list('?metadata.region.name=eu+west')).toEqual(['acmeGithub']);
    });

    it('combines filters with AND', async () => {
      expect(await list('?metadata.tenant=acme&provider=stripe')).toEqual(['acme']);
      expect(await list('?metadata.tenant=acme&provider=github')).toEqual(['acmeGithub']);
      expect(await list('?metadata.tier=gold&metadata.tenant=beta')).toEqual(['beta']);
      expect(await list('?metadata.tier=gold&metadata.tenant=acme&external_id=acme&provider=stripe')).toEqual(['acme']);
      expect(await list('?external_id=acme&provider=github')).toEqual([]);
      expect(await list('?metadata.tier=silver&metadata.tenant=beta')).toEqual([]);
    });

    it('pages a filtered list with the same filters and the cursor', async () => {
      const first = await filtered.get('/v1/syncs?metadata.tenant=acme&limit=1');
      expect(first.body.data.map((s: { name: string }) => s.name)).toEqual(['acme']);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await filtered.get(`/v1/syncs?metadata.tenant=acme&limit=1&cursor=${first.body.next_cursor}`);
      expect(second.body.data.map((s: { name: string }) => s.name)).toEqual(['acmeGithub']);
      expect(second.body.next_cursor).toBeNull();
    });

    it('ignores unknown query parameters, as before', async () => {
      expect(await list('?colour=blue')).toEqual(['acme', 'beta', 'acmeGithub', 'bare']);
      expect(await list('?colour=blue&provider=stripe')).toEqual(['acme', 'beta']);
    });

    it('refuses a malformed filter with 400 invalid_filter naming the parameter', async () => {
      const many = Array.from({ length: 51 }, (_, i) => `metadata.k${i}=v`).join('&');
      const cases: [string, string][] = [
        ['?external_id=', 'external_id'],
        ['?external_id=%20%20', 'external_id'],
        [`?external_id=${'x'.repeat(256)}`, 'external_id'],
        ['?external_id=a%01b', 'external_id'],
        ['?external_id=a&external_id=b', 'external_id'],
        ['?provider=', 'provider'],
        [`?provider=${'p'.repeat(51)}`, 'provider'],
        ['?metadata.=x', 'metadata.'],
        ['?metadata.tenant=a&metadata.tenant=b', 'metadata.tenant'],
        ['?metadata=tenant', 'metadata'],
        ['?metadata[tenant]=acme', 'metadata[tenant]'],
        [`?${many}`, 'metadata'],
      ];
      for (const [query, path] of cases) {
        const answer = await filtered.get(`/v1/syncs${query}`);
        expect([query, answer.status, answer.body.error?.code]).toEqual([query, 400, 'invalid_filter']);
        expect(answer.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
      }
      // U+0000 in any query parameter is refused before the filters are read
      expect((await filtered.get('/v1/syncs?metadata.tenant=a%00')).status).toBe(400);
    });
  });

  it('rebuilds the syncs read model with its external ids', async () => {
    const db = new pg.Client({ connectionString: server.database.url });
    await db.connect();
    try {
      const before = await dumpReadModels(db);
      expect((before.syncs as { external_id: string | null }[]).filter((s) => s.external_id !== null).length).toBeGreaterThan(5);
      await rebuildReadModels(server.app.ctx.pool, readModelProjections);
      expect(await dumpReadModels(db)).toEqual(before);
    } finally {
      await db.end();
    }
  });
});
