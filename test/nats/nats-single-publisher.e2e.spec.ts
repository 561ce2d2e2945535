import { Writable } from 'node:stream';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { restClient } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addStream, connectNats, createSeedableSync, deleteStream, readStream, SHARED_NATS, uniqueName } from '../support/nats.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, TEST_EGRESS_ALLOW, TEST_SECRET_KEY } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

interface Process {
  app: RunningApp;
  logLines: string[];
}

/** A server process of its own (own pools, own lock connection) on a shared database. */
async function startProcess(database: TestDatabase): Promise<Process> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const config = loadConfig({ PORT: '0', DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'info', SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW });
  return { app: await startApp(config, createLogger(config.LOG_LEVEL, sink), { disableSyncs: true }), logLines };
}

const startedPublisher = (process: Process, consumerId: string) =>
  process.logLines.some((line) => line.includes('nats publisher started') && line.includes(consumerId));

describe('NATS consumer: several server processes on one database', () => {
  let database: TestDatabase;
  let processes: Process[] = [];
  let nc: NatsConnection;
  const jetStream = uniqueName('SYNCLINE-T5').toUpperCase();
  const subjectPrefix = uniqueName('t5-records');

  beforeAll(async () => {
    database = await createTestDatabase();
    processes = [await startProcess(database), await startProcess(database)];
    nc = await connectNats(SHARED_NATS);
    await addStream(nc, jetStream, subjectPrefix, { latestOnly: false });
  });

  afterAll(async () => {
    for (const process of processes) await process.app.close().catch(() => undefined);
    await deleteStream(nc, jetStream);
    await nc?.close();
    await database?.drop();
  });

  it('publishes each consumer from exactly one process, and another takes over when it stops', async () => {
    const [first, second] = processes as [Process, Process];
    const api = restClient(first.app.url, ROOT_TOKEN);
    const sync = await createSeedableSync(api);
    const target = { ...sync, collectionId: 'stripe:customer' };
    await seedRecords(first.app.ctx, target, Array.from({ length: 2_000 }, (_, i) => ({ id: `cus_${i}` })));
    const created = await api.post('/v1/nats_consumers', { sync_id: sync.syncId, name: 'shared', subject_prefix: subjectPrefix, nats: SHARED_NATS });
    expect(created.status).toBe(201);
    const consumerId: string = created.body.id;

    await waitFor(async () => (await api.get(`/v1/nats_consumers/${consumerId}`)).body.lag === 0, 20_000, 'the backfill to be published');
    await new Promise((r) => setTimeout(r, 1_500)); // several supervision rounds in both processes
    const publishing = processes.filter((p) => startedPublisher(p, consumerId));
    expect(publishing).toHaveLength(1);
    expect((await readStream(nc, jetStream)).length).toBe(2_000);

    const [owner, standby] = publishing[0] === first ? [first, second] : [second, first];
    await owner.app.close();
    processes = [standby];
    await seedRecords(standby.app.ctx, target, Array.from({ length: 300 }, (_, i) => ({ id: `cus_after_${i}` })));
    const standbyApi = restClient(standby.app.url, ROOT_TOKEN);
    await waitFor(async () => (await standbyApi.get(`/v1/nats_consumers/${consumerId}`)).body.lag === 0, 20_000, 'the standby to take over');
    expect(startedPublisher(standby, consumerId)).toBe(true);
    const messages = await readStream(nc, jetStream);
    expect(messages).toHaveLength(2_300);
    expect(new Set(messages.map((m) => m.msgId)).size).toBe(2_300);
  });
});
