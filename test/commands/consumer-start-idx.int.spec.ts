import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStartIdx } from '../../src/commands/consumer-selection.ts';
import { restClient } from '../support/api.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

/** The stream position each deliver policy means (delivery starts after it), against PostgreSQL. */
describe('resolveStartIdx', () => {
  let server: TestServer;
  let streamId: string;
  let emptyStreamId: string;
  let between: string;
  let firstOfSecondBatch: bigint;
  let head: bigint;

  const idxOf = async (upstreamId: string) =>
    BigInt((await server.app.ctx.pool.query<{ idx: string }>('SELECT updated_idx::text AS idx FROM records WHERE stream_id = $1 AND upstream_id = $2', [streamId, upstreamId])).rows[0]!.idx);

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const api = restClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'start-idx' })).body.api_token.token);
    streamId = (await api.post('/v1/streams', { name: 'positions' })).body.id;
    emptyStreamId = (await api.post('/v1/streams', { name: 'empty' })).body.id;
    const target = { syncId: randomUUID(), streamId, collectionId: 'stripe:customer' };
    await seedRecords(server.app.ctx, target, [{ id: 'cus_1' }, { id: 'cus_2' }, { id: 'cus_3' }]);
    await sleep(20);
    between = (await server.app.ctx.pool.query<{ at: Date }>('SELECT clock_timestamp() AS at')).rows[0]!.at.toISOString();
    await sleep(20);
    // The second batch changes cus_1 again (it moves forward) and adds two records.
    await seedRecords(server.app.ctx, target, [{ id: 'cus_4' }, { id: 'cus_1', data: { id: 'cus_1', v: 2 } }, { id: 'cus_5' }]);
    firstOfSecondBatch = await idxOf('cus_4');
    head = await idxOf('cus_5');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('all: the stream from its start', async () => {
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'all' })).toBe(0n);
  });

  it("new: the stream's head now (0 for a stream without records)", async () => {
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'new' })).toBe(head);
    expect(await resolveStartIdx(server.app.ctx, emptyStreamId, { deliverPolicy: 'new' })).toBe(0n);
  });

  it('by_start_time: before the first version written at or after the time', async () => {
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'by_start_time', optStartTime: between })).toBe(firstOfSecondBatch - 1n);
    // Before every version: before the first record the stream holds (cus_1 left position 1 when it changed).
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'by_start_time', optStartTime: '2000-01-01T00:00:00.000Z' })).toBe((await idxOf('cus_2')) - 1n);
  });

  it('by_start_time after every version: the head (only what comes next)', async () => {
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'by_start_time', optStartTime: '2999-01-01T00:00:00.000Z' })).toBe(head);
    expect(await resolveStartIdx(server.app.ctx, emptyStreamId, { deliverPolicy: 'by_start_time', optStartTime: between })).toBe(0n);
  });

  it('by_start_idx: just before the position given, whether or not a record holds it now', async () => {
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'by_start_idx', optStartIdx: String(firstOfSecondBatch) })).toBe(firstOfSecondBatch - 1n);
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'by_start_idx', optStartIdx: '1' })).toBe(0n);
    expect(await resolveStartIdx(server.app.ctx, streamId, { deliverPolicy: 'by_start_idx', optStartIdx: '9223372036854775807' })).toBe(9223372036854775806n);
  });
});
