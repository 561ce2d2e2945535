import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { addStream, connectNats, createSeedableSync, readStream, startPrivateNatsServer, streamMessageCount, type PrivateNatsServer } from '../support/nats.ts';
import { allRecords } from '../support/records.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const BACKFILL = 20_000;
const DURING_OUTAGE = 700;
const JET_STREAM = 'SEQUIN-RECORDS';

describe('NATS consumer: the NATS server goes away and comes back', () => {
  let server: TestServer;
  let api: RestClient;
  let nats: PrivateNatsServer;

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    api = restClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'nats-outage' })).body.api_token.token);
    nats = await startPrivateNatsServer();
    const nc = await connectNats(nats);
    await addStream(nc, JET_STREAM, 'sequin-records', { latestOnly: true });
    await nc.close();
  });

  afterAll(async () => {
    await server?.stop();
    await nats?.destroy();
  });

  it('shows the outage in last_error and lag, then resumes and completes on the same store', async () => {
    const sync = await createSeedableSync(api);
    const target = { ...sync, collectionId: 'stripe:customer' };
    const padding = 'y'.repeat(400);
    await seedRecords(server.app.ctx, target, Array.from({ length: BACKFILL }, (_, i) => ({ id: `cus_${i}`, data: { id: `cus_${i}`, padding } })));
    const created = await api.post('/v1/nats_consumers', { sync_id: sync.syncId, name: 'outage', nats: { host: nats.host, port: nats.port } });
    expect(created.status).toBe(201);
    const consumerPath = `/v1/nats_consumers/${created.body.id}`;

    // Stop the server while the backfill is being published.
    let observer: NatsConnection = await connectNats(nats);
    let storedBeforeOutage = 0;
    const deadline = Date.now() + 30_000;
    while (storedBeforeOutage < 2_000) {
      if (Date.now() > deadline) throw new Error('publishing did not start');
      storedBeforeOutage = await streamMessageCount(observer, JET_STREAM);
    }
    await observer.close();
    await nats.stop();

    // Records keep changing while NATS is down.
    await seedRecords(server.app.ctx, target, Array.from({ length: DURING_OUTAGE }, (_, i) => ({ id: `cus_late_${i}` })));
    await seedRecords(server.app.ctx, target, [{ id: 'cus_0', data: { id: 'cus_0', changed: 'during the outage' } }]);
    const down = await waitFor(async () => {
      const answer = await api.get(consumerPath);
      return answer.body.connection_state === 'disconnected' && answer.body.last_error ? answer.body : null;
    }, 15_000, 'the outage to show');
    expect(down.last_error.message).toMatch(new RegExp(`^(cannot connect to NATS at 127\\.0\\.0\\.1:${nats.port}: connection refused|lost the connection to NATS at 127\\.0\\.0\\.1:${nats.port})$`));
    expect(down.lag).toBeGreaterThanOrEqual(DURING_OUTAGE + 1);
    expect(down.last_published_idx).toBeLessThan(BACKFILL);
    expect(down.last_published_idx + down.lag).toBe(BACKFILL + DURING_OUTAGE + 1);
    await new Promise((r) => setTimeout(r, 1_500));
    const stillDown = (await api.get(consumerPath)).body;
    expect(stillDown).toMatchObject({ connection_state: 'disconnected', last_published_idx: down.last_published_idx, lag: down.lag });
    expect((await api.get('/v1/account')).status).toBe(200);

    await nats.start();
    const recovered = await waitFor(async () => {
      const answer = await api.get(consumerPath);
      return answer.body.lag === 0 ? answer.body : null;
    }, 30_000, 'publishing to resume and complete');
    expect(recovered).toMatchObject({ connection_state: 'connected', last_error: null, last_published_idx: BACKFILL + DURING_OUTAGE + 1 });

    observer = await connectNats(nats);
    const messages = await readStream(observer, JET_STREAM);
    await observer.close();
    const records = await allRecords(api, sync.syncId);
    expect(records).toHaveLength(BACKFILL + DURING_OUTAGE);
    expect(messages).toHaveLength(records.length);
    const latest = new Map(messages.map((m) => [m.msgId, m.record]));
    for (const record of records) expect(latest.get(`${record.sync_id}:${record.collection_id}:${record.upstream_id}:${record.updated_idx}`)).toEqual(record);
    expect(messages.find((m) => m.record.upstream_id === 'cus_0')?.record.data).toEqual({ id: 'cus_0', changed: 'during the outage' });
  });
});
