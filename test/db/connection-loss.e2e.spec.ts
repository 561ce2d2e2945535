import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient } from '../support/api.ts';
import { adminDatabaseUrl } from '../support/database.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { waitFor } from '../support/wait.ts';

describe('PostgreSQL dropping the server connections', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('does not crash the server, and the next requests succeed on fresh connections', async () => {
    const api = restClient(server.url, ROOT_TOKEN);
    expect((await api.post('/v1/streams', { name: 'before' })).status).toBe(201);
    // Hold connections busy while they are terminated, as a PostgreSQL restart would.
    const busy = Promise.allSettled(Array.from({ length: 5 }, () => server.app.ctx.pool.query('SELECT pg_sleep(2)')));
    await new Promise((r) => setTimeout(r, 200));
    const admin = new pg.Client({ connectionString: adminDatabaseUrl });
    await admin.connect();
    const database = new URL(server.database.url).pathname.slice(1);
    const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    await admin.end();
    expect(rowCount).toBeGreaterThan(0);
    expect((await busy).every((r) => r.status === 'rejected')).toBe(true);

    const created = await waitFor(async () => {
      const answer = await api.post('/v1/streams', { name: 'after' });
      return answer.status === 201 ? answer : null;
    }, 10_000, 'a write after the connections were dropped');
    expect(created.body.name).toBe('after');
    expect((await api.get('/v1/streams')).body.data.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['before', 'after']));
  });
});
