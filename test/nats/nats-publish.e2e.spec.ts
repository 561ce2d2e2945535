import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecordSubject } from '../../src/consumers/nats/subject.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { addStream, connectNats, createSeedableSync, deleteStream, readStream, SHARED_NATS, uniqueName } from '../support/nats.ts';
import { allRecords } from '../support/records.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const CUSTOMERS = 4_000;
const SUBSCRIPTIONS = 1_000;
/** Ids a NATS subject token cannot hold as they are. */
const AWKWARD_IDS = ['cus.with.dots', 'cus *>', 'cus with spaces', 'cus\ttab', 'cus%25', 'cüs_ünïcode', 'cus\u00a0nbsp'];

describe('NATS consumer: a stream that keeps the latest message per subject', () => {
  let server: TestServer;
  let api: RestClient;
  let nc: NatsConnection;
  const jetStream = uniqueName('SYNCLINE-T1').toUpperCase();
  const subjectPrefix = uniqueName('t1-records');

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    const account = await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'nats-publish' });
    api = restClient(server.url, account.body.api_token.token);
    nc = await connectNats(SHARED_NATS);
    // As docs/NATS.md recommends: nats stream add … --max-msgs-per-subject=1 --discard=old
    await addStream(nc, jetStream, subjectPrefix, { latestOnly: true });
  });

  afterAll(async () => {
    await deleteStream(nc, jetStream);
    await nc?.close();
    await server?.stop();
  });

  it('receives every record of the sync, then its live changes: one message per record, holding its latest version', async () => {
    const { syncId, streamId } = await createSeedableSync(api, ['stripe:customer', 'stripe:subscription']);
    const customers = [...Array.from({ length: CUSTOMERS - AWKWARD_IDS.length }, (_, i) => `cus_${i}`), ...AWKWARD_IDS];
    const subscriptions = Array.from({ length: SUBSCRIPTIONS }, (_, i) => `sub_${i}`);
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, customers.map((id) => ({ id, data: { id, v: 1 } })));
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:subscription' }, subscriptions.map((id) => ({ id, data: { id, status: 'active' } })));

    const created = await api.post('/v1/nats_consumers', {
      sync_id: syncId,
      name: 'Synadia - Stripe',
      subject_prefix: subjectPrefix,
      nats: { host: SHARED_NATS.host, port: SHARED_NATS.port, tls: false },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ sync_id: syncId, stream_id: streamId, deliver_policy: 'all', last_published_idx: 0, lag: 5_000 });
    const consumerId: string = created.body.id;

    const caughtUp = await waitFor(async () => {
      const answer = await api.get(`/v1/nats_consumers/${consumerId}`);
      return answer.body.lag === 0 && answer.body.messages_published === 5_000 ? answer.body : null;
    }, 45_000, 'the backfill to be published');
    expect(caughtUp).toMatchObject({ connection_state: 'connected', last_error: null, last_published_idx: 5_000 });

    const backfill = await readStream(nc, jetStream);
    expect(backfill).toHaveLength(5_000);
    const seconds = (backfill[backfill.length - 1]!.timestampNanos - backfill[0]!.timestampNanos) / 1e9;
    console.log(`[nats] published ${backfill.length} records in ${seconds.toFixed(2)} s: ${Math.round(backfill.length / seconds)} records/s`);

    // Live: updates, tombstones and new records while the consumer is caught up.
    const updated = customers.slice(0, 300);
    const deleted = subscriptions.slice(0, 100);
    const added = Array.from({ length: 50 }, (_, i) => `cus_new_${i}`);
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, [...updated, ...added].map((id) => ({ id, data: { id, v: 2 } })));
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:subscription' }, deleted.map((id) => ({ id, data: { id, status: 'canceled' }, deleted: true })));
    // The same records again: the stream must still end with their latest version only.
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, updated.slice(0, 100).map((id) => ({ id, data: { id, v: 3 } })));

    const records = await allRecords(api, syncId);
    expect(records).toHaveLength(5_050);
    const head = Math.max(...records.map((r) => r.updated_idx));
    await waitFor(async () => {
      const answer = await api.get(`/v1/nats-consumers/${consumerId}`);
      return answer.body.lag === 0 && answer.body.last_published_idx === head;
    }, 20_000, 'the live changes to be published');

    const messages = await readStream(nc, jetStream);
    expect(messages).toHaveLength(records.length);
    const byKey = new Map(messages.map((m) => [keyOf(parseRecordSubject(subjectPrefix, m.subject)), m]));
    expect(byKey.size).toBe(records.length);
    for (const record of records) {
      const message = byKey.get(keyOf(record));
      expect(message?.record).toEqual(record);
      expect(message?.msgId).toBe(`${record.sync_id}:${record.collection_id}:${record.upstream_id.replace('\t', '%09')}:${record.updated_idx}`);
    }
    const byId = new Map(messages.map((m) => [(m.record as { upstream_id: string }).upstream_id, m.record as any]));
    expect(byId.get('cus_0')).toMatchObject({ data: { id: 'cus_0', v: 3 }, deleted: false });
    expect(byId.get('cus_200')).toMatchObject({ data: { id: 'cus_200', v: 2 } });
    expect(byId.get('cus_new_49')).toMatchObject({ data: { id: 'cus_new_49', v: 2 } });
    expect(byId.get('sub_0')).toMatchObject({ deleted: true, collection_id: 'stripe:subscription' });
    expect(byId.get('cus with spaces')).toMatchObject({ upstream_id: 'cus with spaces' });
  });

  it('reports a missing JetStream stream, retries, and publishes once the stream exists', async () => {
    const prefix = uniqueName('t1-nostream');
    const streamName = uniqueName('SYNCLINE-T1-LATE').toUpperCase();
    const { syncId, streamId } = await createSeedableSync(api);
    await seedRecords(server.app.ctx, { syncId, streamId, collectionId: 'stripe:customer' }, Array.from({ length: 20 }, (_, i) => ({ id: `cus_${i}` })));
    const created = await api.post('/v1/nats_consumers', { sync_id: syncId, name: 'no-stream-yet', subject_prefix: prefix, nats: SHARED_NATS });
    const failing = await waitFor(async () => {
      const answer = await api.get(`/v1/nats_consumers/${created.body.id}`);
      return answer.body.last_error ? answer.body : null;
    }, 10_000, 'the missing stream to show');
    expect(failing).toMatchObject({ connection_state: 'error', last_published_idx: 0, lag: 20 });
    expect(failing.last_error.message).toBe(
      `no JetStream stream captures subject ${prefix}.${syncId}.stripe:customer.cus_0 on 127.0.0.1:4222 (add a stream with subjects "${prefix}.>", and check that JetStream is enabled)`,
    );
    expect(server.logLines.some((line) => line.includes('no JetStream stream captures subject') && line.includes('"level":40'))).toBe(true);

    await addStream(nc, streamName, prefix, { latestOnly: true });
    try {
      const recovered = await waitFor(async () => {
        const answer = await api.get(`/v1/nats_consumers/${created.body.id}`);
        return answer.body.lag === 0 ? answer.body : null;
      }, 20_000, 'publishing once the stream exists');
      expect(recovered).toMatchObject({ connection_state: 'connected', last_error: null, messages_published: 20 });
      expect((await readStream(nc, streamName)).map((m) => m.record.upstream_id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `cus_${i}`).sort());
    } finally {
      await deleteStream(nc, streamName);
    }
  });
});

/** A record's key; subjects are parsed back into keys, so this also checks that escaping is reversible. */
function keyOf(key: { sync_id: string; collection_id: string; upstream_id: string } | null): string {
  if (!key) throw new Error('a message on a subject that is not a record subject');
  return JSON.stringify([key.sync_id, key.collection_id, key.upstream_id]);
}
