/**
 * The webhook part of the provider conformance suite (issue 24; docs/PROVIDER-WEBHOOKS.md), run
 * for targets with `webhooks` (WebhookSample) and skipped for the others. A sync of the sample's
 * collection with webhooks enabled that polls once an hour, so within the test only webhooks can
 * bring a change; the server's SYNCLINE_PUBLIC_URL is its own address, so Syncline registers
 * through the emulator's API where the provider has one (else the sample subscribes the emulator).
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import type { ProviderEmulator } from '../../../src/emulators/kit/provider-emulator.ts';
import type { RestClient } from '../../support/api.ts';
import { allRecords } from '../../support/records.ts';
import { versionCount, versionsOf } from '../../support/record-versions.ts';
import type { TestServer } from '../../support/server.ts';
import { waitFor } from '../../support/wait.ts';
import type { ConformanceTarget, WebhookSample } from './target.ts';

const HOUR = 3_600_000;
const RATE_LIMIT = { allowed_requests: 25, interval: 1, max_concurrent_requests: 4 };
/** Waits, not assertions on time: the bench measures the latency (bench/webhook-latency.ts). */
const ARRIVE_MS = 30_000;
const FORGED_SECRET = 'whsec_wrong_0000000000000000000000';

const objectName = (collectionId: string): string => collectionId.slice(collectionId.indexOf(':') + 1);

export interface WebhookConformanceHarness<E extends ProviderEmulator> {
  server(): TestServer;
  emulator(): E;
  api(): RestClient;
}

export function describeWebhookConformance<E extends ProviderEmulator>(target: ConformanceTarget<E>, harness: WebhookConformanceHarness<E>): void {
  describe.skipIf(!target.webhooks)('webhooks', () => {
    const sample = target.webhooks as WebhookSample<E>;
    let syncId: string;

    const api = () => harness.api();
    const pool = () => harness.server().app.ctx.pool;
    const same = (data: Record<string, unknown>, upstream: Record<string, unknown>): boolean =>
      target.sameObject ? target.sameObject(sample.collectionId, data, upstream) : canonicalJson(data) === canonicalJson(upstream);
    const upstreamObject = (id: string) => harness.emulator().objects(objectName(sample.collectionId)).find((o) => target.upstreamId(sample.collectionId, o) === id);
    const record = async (id: string) => (await allRecords(api(), syncId, sample.collectionId)).find((r) => r.upstream_id === id);
    const status = async () => (await api().get(`/v1/syncs/${syncId}/status`)).body;
    const hintsLeft = async () => (await pool().query('SELECT 1 FROM sync_webhook_hints WHERE sync_id = $1', [syncId])).rowCount ?? 0;
    const post = (request: { headers: Record<string, string>; body: string }) =>
      fetch(`${harness.server().url}/v1/webhooks/in/${syncId}`, { method: 'POST', headers: request.headers, body: request.body });
    /** Every webhook the emulator sent so far answered and applied. */
    const quiet = async () => {
      await harness.emulator().webhooks?.settled();
      await waitFor(async () => (await hintsLeft()) === 0, ARRIVE_MS, 'the hints to be applied');
    };

    beforeAll(async () => {
      const emulator = harness.emulator();
      const credential = await api().post('/v1/credentials', { name: `${target.provider} webhooks`, ...(await target.credential(api(), emulator)) });
      expect(credential.status, JSON.stringify(credential.body)).toBe(201);
      const sync = await api().post('/v1/syncs', {
        provider: target.provider,
        name: `${target.provider} webhook conformance`,
        collection_ids: [sample.collectionId],
        credential_id: credential.body.id,
        rate_limit: RATE_LIMIT,
        poll_interval_ms: HOUR,
        webhooks: { enabled: true, ...(sample.settings?.(emulator) ?? {}) },
      });
      expect(sync.status, JSON.stringify(sync.body)).toBe(201);
      syncId = sync.body.id;
      await waitFor(async () => (await status()).collections.every((c: { backfill: { done: boolean } }) => c.backfill.done), ARRIVE_MS * 4, 'the backfill');
      // The first poll follows the backfill at once: a change made before it ends could be recorded
      // by that poll rather than by the webhook this suite is about (the next is an hour away).
      await waitFor(async () => (await status()).last_poll_at !== null, ARRIVE_MS * 2, 'the first poll after the backfill');
      if (sample.subscribe) {
        sample.subscribe(emulator, sync.body.webhooks.url);
      } else {
        const registered = await waitFor(
          async () => {
            const webhooks = (await api().get(`/v1/syncs/${syncId}`)).body.webhooks;
            return webhooks.registration.state === 'registered' ? webhooks : null;
          },
          ARRIVE_MS,
          'Syncline to register the webhook through the emulator',
        );
        expect(registered.url).toBe(`${harness.server().url}/v1/webhooks/in/${syncId}`);
      }
    }, ARRIVE_MS * 8);

    it('a change upstream reaches the record through the webhook alone', async () => {
      const id = sample.change(harness.emulator());
      await waitFor(
        async () => {
          const upstream = upstreamObject(id);
          const stored = await record(id);
          return upstream && stored && !stored.deleted && same(stored.data, upstream);
        },
        ARRIVE_MS,
        `the webhook for ${id} to reach the record`,
      );
      expect((await versionsOf(pool(), syncId, sample.collectionId, id)).at(-1)?.source).toBe('webhook');
      expect((await status()).webhooks.verified).toBeGreaterThan(0);
    }, ARRIVE_MS * 2);

    it('a delete upstream becomes a tombstone', async () => {
      const id = sample.remove(harness.emulator());
      await waitFor(async () => (await record(id))?.deleted === true, ARRIVE_MS, `the tombstone of ${id}`);
    }, ARRIVE_MS * 2);

    it('refuses a forged webhook: 401, nothing appended', async () => {
      await quiet();
      const id = sample.change(harness.emulator());
      await quiet();
      const before = await versionCount(pool(), syncId, sample.collectionId);
      const rejected = (await status()).webhooks.rejected;
      const answer = await post(sample.request(harness.emulator(), id, FORGED_SECRET));
      expect(answer.status).toBe(401);
      expect((await answer.json()).error.code).toMatch(/^webhook_/);
      expect(await hintsLeft()).toBe(0);
      expect(await versionCount(pool(), syncId, sample.collectionId)).toBe(before);
      expect((await status()).webhooks.rejected).toBe(rejected + 1);
    }, ARRIVE_MS * 3);

    it('a redelivery, and a webhook for a version already stored, record nothing new', async () => {
      await quiet();
      const live = (await allRecords(api(), syncId, sample.collectionId)).find((r) => !r.deleted)!;
      const id = live.upstream_id;
      const versions = (await versionsOf(pool(), syncId, sample.collectionId, id)).length;
      const request = sample.request(harness.emulator(), id, sample.secret(harness.emulator()));
      for (let i = 0; i < 2; i++) {
        const answer = await post(request);
        expect(answer.status, await answer.text()).toBeLessThan(300);
      }
      await quiet();
      expect(await versionsOf(pool(), syncId, sample.collectionId, id)).toHaveLength(versions);
    }, ARRIVE_MS * 3);

    it('a poll and a webhook never record the same version twice', async () => {
      // Polls every 300 ms from now on, racing the webhooks for every change.
      expect((await api().patch(`/v1/syncs/${syncId}`, { poll_interval_ms: 300 })).status).toBe(200);
      const changed = [sample.change(harness.emulator()), sample.change(harness.emulator())];
      for (const id of changed) {
        await waitFor(
          async () => {
            const upstream = upstreamObject(id);
            const stored = await record(id);
            return upstream && stored && same(stored.data, upstream);
          },
          ARRIVE_MS,
          `${id} to reach the record`,
        );
      }
      await quiet();
      const after = Date.now();
      await waitFor(async () => Date.parse((await status()).last_poll_at ?? '0') > after, ARRIVE_MS, 'a poll after the webhooks');
      for (const id of changed) {
        const versions = await versionsOf(pool(), syncId, sample.collectionId, id);
        for (let i = 1; i < versions.length; i++) {
          expect(canonicalJson(versions[i]!.data) === canonicalJson(versions[i - 1]!.data) && versions[i]!.deleted === versions[i - 1]!.deleted, `${id}: version ${i} repeats ${i - 1}`).toBe(false);
        }
      }
    }, ARRIVE_MS * 4);
  });
}
