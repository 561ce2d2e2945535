import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restClient } from './support/api.ts';
import { randomPort, spawnServer, stopServer } from './support/child-server.ts';

/** `src/main.ts` as a real child process with no DATABASE_URL (embedded PGlite). */
const startServer = (dataDir: string, port: number) =>
  spawnServer({ SYNCLINE_DATA_DIR: dataDir, DATABASE_URL: undefined, SYNCLINE_API_TOKEN: undefined, SYNCLINE_SECRET_KEY: undefined }, port);

describe('embedded mode (no DATABASE_URL)', () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /healthz, prints a root token once, and keeps everything across restarts', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'syncline-embedded-'));
    const port = randomPort();
    const first = await startServer(dataDir, port);
    const token = /syn_[A-Za-z0-9_-]+/.exec(first.output())?.[0];
    expect(token).toBeDefined();
    const api = restClient(`http://127.0.0.1:${port}`, token!);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const stream = await api.post('/v1/streams', { name: 'dev' });
    expect(stream.status).toBe(201);
    const credential = await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_embedded_secret' });
    expect(credential.status).toBe(201);
    expect(await stopServer(first.child)).toBe(0);

    const second = await startServer(dataDir, port);
    expect(second.output()).not.toContain(token!);
    expect((await api.get(`/v1/streams/${stream.body.id}`)).body).toEqual(stream.body);
    expect((await api.get(`/v1/credentials/${credential.body.id}`)).body).toEqual(credential.body);
    expect(await stopServer(second.child)).toBe(0);
  });
});
