import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendRecords } from '../../src/sync/ingest/append-records.ts';
import type { UpstreamObject } from '../../src/sync/providers/provider.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { allRecords } from '../support/records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

const object = (id: string, data: Record<string, unknown>, extra: Partial<UpstreamObject> = {}): UpstreamObject => ({
  upstreamId: id,
  data,
  upstreamCreatedAt: null,
  upstreamUpdatedAt: null,
  deleted: false,
  ...extra,
});
const stub = (id: string) => object(id, { id }, { deleted: true, partialTombstone: true });

/** DESIGN.md §2: a tombstone carries the last known data, even when the provider can only name the gone object. */
describe('tombstones the provider can only name', () => {
  let server: TestServer;
  let api: RestClient;
  let target: { syncId: string; streamId: string; collectionId: string };

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    api = restClient(server.url, ROOT_TOKEN);
    const sync = await api.post('/v1/syncs', { provider: 'github', name: 'tombstones', collection_ids: ['github:repository'], credential: { properties: { kind: 'github', secret: 'ghp_x' } } });
    expect(sync.status).toBe(201);
    target = { syncId: sync.body.id, streamId: sync.body.stream_id, collectionId: 'github:repository' };
  });
  afterAll(async () => {
    await server.stop();
  });

  const append = (objects: UpstreamObject[]) => appendRecords(server.app.ctx, { ...target, source: 'changes', objects });
  const record = async (id: string) => (await allRecords(api, target.syncId)).find((r) => r.upstream_id === id);

  it('keeps the stored data in the tombstone, once, and drops stubs of objects never stored', async () => {
    await append([object('1', { id: 1, full_name: 'acme/api', stargazers_count: 12 }), object('2', { id: 2, full_name: 'acme/web' })]);
    const appended = await append([stub('1'), stub('99')]);
    expect(appended.map((v) => v.upstreamId)).toEqual(['1']);
    expect(await record('1')).toMatchObject({ deleted: true, data: { id: 1, full_name: 'acme/api', stargazers_count: 12 } });
    expect(await record('99')).toBeUndefined();

    const before = (await record('1'))!.updated_idx;
    expect(await append([stub('1')])).toEqual([]); // already a tombstone with its last data
    expect((await record('1'))!.updated_idx).toBe(before);
  });

  it('takes the data of an earlier version in the same batch, and leaves full tombstones as the provider gave them', async () => {
    await append([object('3', { id: 3, v: 'old' })]);
    await append([object('3', { id: 3, v: 'new' }), stub('3'), object('2', { id: 2, full_name: 'acme/web' }, { deleted: true })]);
    expect(await record('3')).toMatchObject({ deleted: true, data: { id: 3, v: 'new' } });
    expect(await record('2')).toMatchObject({ deleted: true, data: { id: 2, full_name: 'acme/web' } });
  });
});
