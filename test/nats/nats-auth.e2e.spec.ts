import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, type RestClient } from '../support/api.ts';
import { addStream, connectNats, createSeedableSync, readStream, startPrivateNatsServer, type PrivateNatsServer } from '../support/nats.ts';
import { seedRecords } from '../support/seed-records.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

const RECORDS = 300;
const TOKEN = 's3cret-nats-token-for-tests';
const USER = { user: 'syncline', password: 'correct-horse-battery-staple' };

describe('NATS consumer: authentication', () => {
  let server: TestServer;
  let api: RestClient;
  let tokenServer: PrivateNatsServer;
  let passwordServer: PrivateNatsServer;
  let syncId: string;

  beforeAll(async () => {
    server = await startTestServer({}, { disableSyncs: true });
    api = restClient(server.url, (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'nats-auth' })).body.api_token.token);
    [tokenServer, passwordServer] = await Promise.all([startPrivateNatsServer({ token: TOKEN }), startPrivateNatsServer(USER)]);
    for (const [nats, auth] of [
      [tokenServer, { token: TOKEN }],
      [passwordServer, { user: USER.user, pass: USER.password }],
    ] as const) {
      const nc = await connectNats(nats, auth);
      await addStream(nc, 'SEQUIN-RECORDS', 'sequin-records', { latestOnly: true });
      await nc.close();
    }
    const sync = await createSeedableSync(api);
    syncId = sync.syncId;
    await seedRecords(server.app.ctx, { ...sync, collectionId: 'stripe:customer' }, Array.from({ length: RECORDS }, (_, i) => ({ id: `cus_${i}` })));
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([tokenServer?.destroy(), passwordServer?.destroy()]);
  });

  const consumer = (id: string) => api.get(`/v1/nats_consumers/${id}`).then((a) => a.body);

  async function expectAuthFailure(id: string, port: number) {
    const failed = await waitFor(async () => ((await consumer(id)).last_error ? consumer(id) : null), 15_000, 'the auth failure to show');
    expect(failed).toMatchObject({ connection_state: 'error', last_published_idx: 0, lag: RECORDS, messages_published: 0 });
    expect(failed.last_error.message).toBe(
      `NATS authorization failed at 127.0.0.1:${port}: Authorization Violation (check the consumer's nats credentials)`,
    );
    expect(failed.last_error.message.toLowerCase()).toContain('authorization');
  }

  async function expectPublishedAll(id: string, nats: PrivateNatsServer, auth: { token: string } | { user: string; pass: string }) {
    await waitFor(async () => (await consumer(id)).lag === 0, 15_000, 'every record to be published');
    expect(await consumer(id)).toMatchObject({ connection_state: 'connected', last_error: null, last_published_idx: RECORDS, messages_published: RECORDS });
    const nc = await connectNats(nats, auth);
    const messages = await readStream(nc, 'SEQUIN-RECORDS');
    await nc.close();
    expect(messages).toHaveLength(RECORDS);
    expect(new Set(messages.map((m) => m.record.upstream_id))).toEqual(new Set(Array.from({ length: RECORDS }, (_, i) => `cus_${i}`)));
  }

  it('publishes with the right token; a wrong token shows an authorization error, and fixing it resumes', async () => {
    const nats = { host: tokenServer.host, port: tokenServer.port };
    const wrong = await api.post('/v1/nats_consumers', { sync_id: syncId, name: 'wrong-token', nats: { ...nats, token: 'not-the-token' } });
    const right = await api.post('/v1/nats_consumers', { sync_id: syncId, name: 'right-token', nats: { ...nats, token: TOKEN } });
    expect([wrong.status, right.status]).toEqual([201, 201]);

    await expectAuthFailure(wrong.body.id, tokenServer.port);
    await expectPublishedAll(right.body.id, tokenServer, { token: TOKEN });
    // Still retrying, still failing, nothing published, nothing crashed.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await consumer(wrong.body.id)).toMatchObject({ connection_state: 'error', lag: RECORDS });
    expect((await api.get('/v1/account')).status).toBe(200);

    // Fixing the credentials restarts the publisher: the same records are published again and deduplicated by msg id.
    expect((await api.patch(`/v1/nats_consumers/${wrong.body.id}`, { nats: { token: TOKEN } })).status).toBe(200);
    await expectPublishedAll(wrong.body.id, tokenServer, { token: TOKEN });
    expect(server.logLines.join('')).not.toContain(TOKEN);
  });

  it('publishes with the right user and password; a wrong password shows an authorization error', async () => {
    const nats = { host: passwordServer.host, port: passwordServer.port };
    const wrong = await api.post('/v1/nats_consumers', { sync_id: syncId, name: 'wrong-password', nats: { ...nats, user: USER.user, password: 'wrong-password' } });
    const right = await api.post('/v1/nats_consumers', { sync_id: syncId, name: 'right-password', nats: { ...nats, ...USER } });
    expect([wrong.status, right.status]).toEqual([201, 201]);
    expect(right.body.nats).toMatchObject({ user: USER.user, password: '…aple', has_password: true });

    await expectAuthFailure(wrong.body.id, passwordServer.port);
    await expectPublishedAll(right.body.id, passwordServer, { user: USER.user, pass: USER.password });
    expect(server.logLines.join('')).not.toContain(USER.password);
  });
});
