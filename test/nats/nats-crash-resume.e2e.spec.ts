import type { NatsConnection } from 'nats';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { restClient } from '../support/api.ts';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addStream, connectNats, createSeedableSync, deleteStream, readStream, SHARED_NATS, streamMessageCount, uniqueName } from '../support/nats.ts';
import { allRecords } from '../support/records.ts';
import { seedRecords } from '../support/seed-records.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { ROOT_TOKEN, TEST_EGRESS_ALLOW, TEST_SECRET_KEY } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const RECORDS = 20_000;
const env = (database: TestDatabase) => ({ DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY });

/** Writes the records with a short-lived in-process app on the child's database (there is no REST write for records). */
async function seedDatabase(database: TestDatabase): Promise<{ syncId: string; streamId: string }> {
  const app = await startApp(loadConfig({ ...env(database), PORT: '0', LOG_LEVEL: 'silent', SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW }), createLogger('silent'), { disableSyncs: true });
  try {
    const api = restClient(app.url, ROOT_TOKEN);
    const sync = await createSeedableSync(api);
    // The child runs the sync engine: keep it away from the (fake) Stripe credential.
    expect((await api.post(`/v1/syncs/${sync.syncId}/pause`)).status).toBe(200);
    const padding = 'x'.repeat(600);
    const items = Array.from({ length: RECORDS }, (_, i) => ({ id: `cus_${i}`, data: { id: `cus_${i}`, email: `c${i}@example.com`, padding } }));
    await seedRecords(app.ctx, { ...sync, collectionId: 'stripe:customer' }, items);
    return sync;
  } finally {
    await app.close();
  }
}

describe('NATS consumer: a server killed while publishing', () => {
  let database: TestDatabase;
  let server: ChildServer | null = null;
  let nc: NatsConnection;
  // The server publishes through a slowed link (about 0.1 s per 500-message batch), so the poll
  // below catches a batch half-published however fast the machine is.
  const slowLink = new TcpProxy(SHARED_NATS.host, SHARED_NATS.port, { bytesPerSecond: 4_000_000 });
  const jetStream = uniqueName('SYNCLINE-T2').toUpperCase();
  const subjectPrefix = uniqueName('t2-records');

  beforeAll(async () => {
    database = await createTestDatabase();
    nc = await connectNats(SHARED_NATS);
    await slowLink.up();
    // Every version, no per-subject limit: a duplicate publish would show as an extra message.
    await addStream(nc, jetStream, subjectPrefix, { latestOnly: false });
  });

  afterAll(async () => {
    if (server) await stopServer(server.child, 'SIGKILL');
    await deleteStream(nc, jetStream);
    await nc?.close();
    await slowLink.down();
    await database?.drop();
  });

  it('resumes from its checkpoint after SIGKILL: every record version once, no duplicate message', async () => {
    const { syncId } = await seedDatabase(database);
    const port = randomPort();
    server = await spawnServer(env(database), port);
    const api = restClient(server.url, ROOT_TOKEN);
    const created = await api.post('/v1/nats_consumers', { sync_id: syncId, name: 'crash', subject_prefix: subjectPrefix, nats: { host: '127.0.0.1', port: slowLink.port } });
    expect(created.status).toBe(201);

    // Kill early in a batch (batches are 500 records): some of its messages are stored, its checkpoint is not.
    // Polled without pause.
    let publishedAtKill = 0;
    const deadline = Date.now() + 30_000;
    while (!(publishedAtKill >= 2_000 && publishedAtKill % 500 > 0 && publishedAtKill % 500 < 250)) {
      if (Date.now() > deadline) throw new Error(`publishing never caught mid-batch (at ${publishedAtKill} messages)`);
      publishedAtKill = await streamMessageCount(nc, jetStream);
    }
    expect(await stopServer(server.child, 'SIGKILL')).toBeNull();
    const checkpoint = await checkpointOf(database, created.body.id);
    const storedAtKill = await streamMessageCount(nc, jetStream);
    expect(publishedAtKill).toBeLessThan(RECORDS);
    // Stored but not checkpointed: published again after the restart, dropped by JetStream's dedupe.
    expect(storedAtKill).toBeGreaterThan(checkpoint);
    console.log(`[nats] killed with ${storedAtKill} messages stored and checkpoint ${checkpoint}: ${storedAtKill - checkpoint} to be deduplicated`);

    server = await spawnServer(env(database), port);
    const done = await waitFor(async () => {
      const answer = await api.get(`/v1/nats_consumers/${created.body.id}`);
      return answer.body.lag === 0 && answer.body.last_published_idx === RECORDS ? answer.body : null;
    }, 40_000, 'publishing to complete after the restart');
    expect(done).toMatchObject({ connection_state: 'connected', last_error: null });

    const messages = await readStream(nc, jetStream);
    expect(messages).toHaveLength(RECORDS);
    const msgIds = new Set(messages.map((m) => m.msgId));
    expect(msgIds.size).toBe(RECORDS);
    const perSubject = new Map<string, number>();
    for (const m of messages) perSubject.set(m.subject, (perSubject.get(m.subject) ?? 0) + 1);
    expect(perSubject.size).toBe(RECORDS);
    expect([...perSubject.values()].every((n) => n === 1)).toBe(true);
    // In sequence order the stream follows updated_idx: each batch published after the previous one's acks.
    const positions = messages.map((m) => m.record.updated_idx as number);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    const records = await allRecords(api, syncId);
    const byMsgId = new Map(messages.map((m) => [m.msgId, m.record]));
    for (const record of records) {
      expect(byMsgId.get(`${record.sync_id}:${record.collection_id}:${record.upstream_id}:${record.updated_idx}`)).toEqual(record);
    }
  });
});

async function checkpointOf(database: TestDatabase, consumerId: string): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ idx: string }>('SELECT position AS idx FROM sink_runtime WHERE consumer_id = $1', [consumerId]);
    return Number(rows[0]!.idx);
  } finally {
    await client.end();
  }
}
