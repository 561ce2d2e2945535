/**
 * The provider conformance suite: what every provider must do against its emulator, through a
 * real Syncline server on a fresh PostgreSQL database and its REST API. A provider registers by
 * calling `describeConformance(target)` from `test/providers/<provider>.conformance.e2e.spec.ts`.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderEmulator } from '../../../src/emulators/kit/provider-emulator.ts';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import { restClient, type RestClient } from '../../support/api.ts';
import { allRecords, type RecordBody } from '../../support/records.ts';
import { maxConcurrent, maxInAnyWindow } from '../../support/request-log-windows.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../../support/server.ts';
import { freePort } from '../../support/free-port.ts';
import { waitFor } from '../../support/wait.ts';
import { checkAgainstApiDescription, checkAgainstGraphqlSchema } from './api-description-check.ts';
import type { ConformanceTarget } from './target.ts';
import { describeWebhookConformance } from './webhook-conformance.ts';

const OBJECTS = 150;
const RATE_LIMIT = { allowed_requests: 25, interval: 1, max_concurrent_requests: 4 };
const POLL_INTERVAL_MS = 500;
const CONVERGE_MS = 60_000;

const objectName = (collectionId: string): string => collectionId.slice(collectionId.indexOf(':') + 1);

export function describeConformance<E extends ProviderEmulator>(target: ConformanceTarget<E>, label = target.provider): void {
  describe(`provider conformance: ${label}`, () => {
    let server: TestServer;
    let emulator: E;
    let api: RestClient;
    let syncId: string;

    const same = (collectionId: string, data: Record<string, unknown>, upstream: Record<string, unknown>): boolean =>
      target.sameObject ? target.sameObject(collectionId, data, upstream) : canonicalJson(data) === canonicalJson(upstream);

    /** Differences between the records and the emulator's objects, empty when they match. */
    async function differences(): Promise<string[]> {
      const found: string[] = [];
      for (const collectionId of target.collections) {
        const records = await allRecords(api, syncId, collectionId);
        if (new Set(records.map((r) => r.upstream_id)).size !== records.length) found.push(`${collectionId}: duplicate records`);
        const live = new Map(records.filter((r) => !r.deleted).map((r) => [r.upstream_id, r]));
        const upstream = new Map(emulator.objects(objectName(collectionId)).map((o) => [target.upstreamId(collectionId, o), o]));
        for (const [id, object] of upstream) {
          const record = live.get(id);
          if (!record) found.push(`${collectionId} ${id}: missing`);
          else if (!same(collectionId, record.data, object)) found.push(`${collectionId} ${id}: stale`);
        }
        for (const id of live.keys()) if (!upstream.has(id)) found.push(`${collectionId} ${id}: live record of an object gone upstream`);
      }
      return found;
    }

    async function converge(what: string, timeoutMs = CONVERGE_MS): Promise<void> {
      let last: string[] = [];
      await waitFor(
        async () => {
          last = await differences();
          return last.length === 0;
        },
        timeoutMs,
        what,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; ${last.length} differences, e.g. ${last.slice(0, 5).join('; ')}`);
      });
    }

    async function status() {
      const answer = await api.get(`/v1/syncs/${syncId}/status`);
      expect(answer.status).toBe(200);
      return answer.body;
    }

    beforeAll(async () => {
      emulator = await target.startEmulator({ objects: OBJECTS, randomSeed: 20261201 });
      // This file's syncs poll faster than the default minimum (1000 ms) to keep it quick. The
      // server's public URL is its own address: the emulator sends its webhooks there.
      const port = await freePort();
      server = await startTestServer({ SYNCLINE_MIN_POLL_INTERVAL_MS: '100', PORT: String(port), SYNCLINE_PUBLIC_URL: `http://127.0.0.1:${port}` });
      api = restClient(server.url, ROOT_TOKEN);
    });

    afterAll(async () => {
      await server?.stop();
      await emulator?.close();
    });

    checkAgainstApiDescription(label, target.apiDescription, () => emulator);
    checkAgainstGraphqlSchema(label, target.graphqlDescription, () => emulator);

    it('is listed by GET /v1/providers with its collections', async () => {
      const answer = await api.get('/v1/providers');
      expect(answer.status).toBe(200);
      const listed = answer.body.data.find((p: { name: string }) => p.name === target.provider);
      expect(listed).toBeDefined();
      const ids = listed.collections.map((c: { id: string }) => c.id);
      for (const collectionId of target.collections) expect(ids).toContain(collectionId);
    });

    it('backfills every object of every collection exactly as the API returns it', async () => {
      const credential = await api.post('/v1/credentials', { name: `${label} emulator`, ...(await target.credential(api, emulator)) });
      expect(credential.status, JSON.stringify(credential.body)).toBe(201);
      const sync = await api.post('/v1/syncs', {
        provider: target.provider,
        name: `${label} conformance`,
        collection_ids: target.collections,
        credential_id: credential.body.id,
        rate_limit: RATE_LIMIT,
        poll_interval_ms: POLL_INTERVAL_MS,
      });
      expect(sync.status, JSON.stringify(sync.body)).toBe(201);
      syncId = sync.body.id;
      // A step that failed and was retried clears its error once it succeeds: a run that ends in error never returns here.
      let last: { last_error: unknown } | null = null;
      const done = await waitFor(
        async () => {
          const s = (last = await status());
          return s.collections.every((c: { backfill: { done: boolean } }) => c.backfill.done) && s.last_error === null ? s : null;
        },
        CONVERGE_MS * 2,
        'backfill to complete without an error left',
      ).catch((error: Error) => {
        throw new Error(`${error.message}; last status ${JSON.stringify(last)}`);
      });
      expect(done.state).toBe('active');
      for (const collectionId of target.collections) {
        expect(emulator.objects(objectName(collectionId)).length, `${collectionId} seeded`).toBeGreaterThan(0);
      }
      expect(await differences()).toEqual([]);
    }, CONVERGE_MS * 3);

    it('applies upstream creates, updates and deletes (deletes as tombstones)', async () => {
      const before = await recordsAfter(api, syncId, 0);
      const lastIdx = Math.max(0, ...before.map((r) => r.updated_idx));
      const made = emulator.mutateRandomly(40);
      expect(made.created.length + made.updated.length + made.deleted.length).toBeGreaterThan(0);
      await converge('upstream changes to reach the records');
      const fresh = await recordsAfter(api, syncId, lastIdx);
      const tombstoned = new Set(fresh.filter((r) => r.deleted).map((r) => r.upstream_id));
      const liveBefore = new Set(before.filter((r) => !r.deleted).map((r) => r.upstream_id));
      // Every deleted object the stream held is now a tombstone (objects created and deleted between two polls may never show).
      for (const id of made.deleted.filter((d) => liveBefore.has(d))) expect(tombstoned, `tombstone for ${id}`).toContain(id);
    }, CONVERGE_MS * 2);

    it('recovers from 429s and 5xx answers and still converges', async () => {
      const before = { ...emulator.faultCounts };
      emulator.setFaults({ rate429: 0.2, rate500: 0.2 });
      try {
        emulator.mutateRandomly(20);
        const faulted = () => emulator.faultCounts.rate429 + emulator.faultCounts.rate500 - before.rate429 - before.rate500;
        await waitFor(async () => faulted() >= 3, CONVERGE_MS, 'the sync to meet injected 429s and 500s');
        // Every injected 429 pauses the whole sync as the provider's limit answer says (GitHub: until its reset second).
        await converge('changes to reach the records through 429s and 500s', CONVERGE_MS * 2);
      } finally {
        emulator.setFaults({});
      }
      await waitFor(async () => ((await status()).last_error === null ? true : null), CONVERGE_MS, 'the sync error to clear');
    }, CONVERGE_MS * 4);

    if (target.documentedLimit) {
      const limit = target.documentedLimit;
      it(`honours ${limit.name} and still converges`, async () => {
        const before = limit.answered(emulator);
        limit.impose(emulator);
        try {
          emulator.mutateRandomly(20);
          await waitFor(async () => limit.answered(emulator) > before, CONVERGE_MS, `the sync to meet ${limit.name}`);
          await converge(`changes to reach the records under ${limit.name}`, CONVERGE_MS * 2);
        } finally {
          limit.lift(emulator);
        }
        await waitFor(async () => ((await status()).last_error === null ? true : null), CONVERGE_MS, 'the sync error to clear');
      }, CONVERGE_MS * 4);
    }

    if (target.expireAccessTokens) {
      it('refreshes an expired OAuth access token and goes on', async () => {
        const grants = target.refreshGrants?.(emulator) ?? 0;
        target.expireAccessTokens!(emulator);
        emulator.mutateRandomly(10);
        await converge('changes to reach the records after the access token expired');
        expect(target.refreshGrants?.(emulator) ?? 0).toBeGreaterThan(grants);
        const s = await status();
        expect(s.state).not.toBe('error');
        expect(s.last_error).toBeNull();
      }, CONVERGE_MS * 2);
    }

    it('writes creates, updates and deletes back upstream and into the stream at once', async () => {
      const { collectionId, create, update, showsUpdate } = target.mutation;
      const name = objectName(collectionId);
      const created = await api.post('/v1/mutations/run', { kind: 'create', sync_id: syncId, collection_id: collectionId, data: [create] });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const [createdItem] = created.body.data;
      expect(createdItem.ok, JSON.stringify(createdItem)).toBe(true);
      const upstreamId: string = createdItem.record.upstream_id;
      const upstreamObject = () => emulator.objects(name).find((o) => target.upstreamId(collectionId, o) === upstreamId);
      expect(upstreamObject(), 'created upstream').toBeDefined();
      expect(await recordOf(api, syncId, collectionId, upstreamId)).toMatchObject({ deleted: false });

      const updated = await api.post('/v1/mutations/run', { kind: 'update', sync_id: syncId, collection_id: collectionId, records: [{ upstream_id: upstreamId, data: update }] });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expect(updated.body.data[0].ok, JSON.stringify(updated.body.data[0])).toBe(true);
      expect(showsUpdate(upstreamObject()!), 'update applied upstream').toBe(true);
      const afterUpdate = await recordOf(api, syncId, collectionId, upstreamId);
      expect(afterUpdate.updated_idx).toBeGreaterThan(createdItem.record.updated_idx);

      const deleted = await api.post('/v1/mutations/run', { kind: 'delete', sync_id: syncId, collection_id: collectionId, upstream_ids: [upstreamId] });
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
      expect(deleted.body.data[0].ok, JSON.stringify(deleted.body.data[0])).toBe(true);
      expect(upstreamObject(), 'deleted upstream').toBeUndefined();
      expect(await recordOf(api, syncId, collectionId, upstreamId)).toMatchObject({ deleted: true });
      await converge('records to match the emulator after the mutations');
    }, CONVERGE_MS * 2);

    it('never exceeded the sync rate limit in any of the above, as the upstream counts requests', () => {
      const log = emulator.requestLog.filter((e) => e.status !== 0 || e.endedAt > 0);
      expect(log.length).toBeGreaterThan(0);
      expect(maxInAnyWindow(log.map((e) => e.startedAt), RATE_LIMIT.interval * 1000)).toBeLessThanOrEqual(RATE_LIMIT.allowed_requests);
      expect(maxConcurrent(log)).toBeLessThanOrEqual(RATE_LIMIT.max_concurrent_requests);
    });

    // After the rate-limit check: its sync is a second one on the same emulator.
    describeWebhookConformance(target, { server: () => server, emulator: () => emulator, api: () => api });
  });
}

async function recordsAfter(api: RestClient, syncId: string, afterIdx: number): Promise<RecordBody[]> {
  return (await allRecords(api, syncId)).filter((r) => r.updated_idx > afterIdx);
}

async function recordOf(api: RestClient, syncId: string, collectionId: string, upstreamId: string): Promise<RecordBody> {
  const record = (await allRecords(api, syncId, collectionId)).find((r) => r.upstream_id === upstreamId);
  if (!record) throw new Error(`no record ${collectionId} ${upstreamId}`);
  return record;
}
