import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restClient } from './support/api.ts';

const root = path.resolve(import.meta.dirname, '..');

/** Starts `src/main.ts` as a real child process with no DATABASE_URL (embedded PGlite). */
async function startServer(dataDir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SYNCLINE_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.SYNCLINE_API_TOKEN;
  delete env.SYNCLINE_SECRET_KEY;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${output}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
    if (healthy) return { child, output: () => output };
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopServer(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('embedded mode (no DATABASE_URL)', () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /healthz, prints a root token once, and keeps everything across restarts', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'syncline-embedded-'));
    const port = 17000 + Math.floor(Math.random() * 2000);
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
