import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrapeMetrics, sampleValue } from '../support/prometheus-text.ts';
import { adminDatabaseUrl, createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

/**
 * `/readyz` answers 503 while the database is unreachable and 200 again once it is back; `/healthz`
 * (liveness) stays 200 throughout, and `/metrics` answers with `syncline_status_figures_up 0`. The server reaches its own PostgreSQL database through a TCP
 * proxy that the test takes down, as a database restart or a network cut would.
 */
describe('/readyz follows the database', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let server: TestServer;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(adminDatabaseUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.up();
    const throughProxy = new URL(database.url);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    server = await startTestServer({ DATABASE_URL: throughProxy.toString() }, { disableSyncs: true });
  }, 60_000);

  afterAll(async () => {
    await proxy?.up().catch(() => undefined);
    await server?.app.close();
    await proxy?.down();
    await database?.drop();
  });

  it('503 `unavailable` with the database unreachable, 200 `ready` once it answers again', async () => {
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready' });

    await proxy.down();
    const down = await fetch(`${server.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable', reason: expect.any(String) });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // /metrics still answers, saying its sync and consumer figures could not be read.
    expect(sampleValue(await scrapeMetrics(server.url), 'syncline_status_figures_up')).toBe(0);

    await proxy.up();
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, 10_000, '/readyz ready again');
    await waitFor(async () => sampleValue(await scrapeMetrics(server.url), 'syncline_status_figures_up') === 1, 10_000, 'figures read again');
  }, 30_000);
});
