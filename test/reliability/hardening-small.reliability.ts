/**
 * Hardening, issue 21 findings 6 and 8 (all but the hung upstream): the embedded database is
 * reachable by its owner only and one client's session settings do not reach the server's own
 * queries; a wrong SYNCLINE_SECRET_KEY refuses to start and fails /readyz; a changed
 * SYNCLINE_API_TOKEN revokes the earlier one; secret hints of short secrets show nothing; the
 * console's answers carry a Content-Security-Policy and frame denial; /metrics wants the root
 * token when the server listens beyond loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { createLogger } from '../../src/logger.ts';
import { restClient } from '../support/api.ts';
import { FROM_SOURCE, randomPort, spawnServer, stopServer } from '../support/child-server.ts';
import { createTestDatabase } from '../support/database.ts';
import { ROOT_TOKEN, startTestServer, TEST_EGRESS_ALLOW, TEST_SECRET_KEY } from '../support/server.ts';
import { listeningTcpSockets, listeningUnixSockets } from './support/listening-sockets.ts';
import { reportFigures } from './support/report.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const figures: Record<string, unknown> = {};
const mode = async (file: string) => (await stat(file)).mode & 0o777;

/** Whether a process of another user (nobody) can open a connection to `target`; only root can ask. */
function otherUserConnects(target: { path: string } | { host: string; port: number }): string {
  const script = `const s = require('node:net').connect(${JSON.stringify(target)});
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('error', (e) => console.log(e.code));`;
  const result = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8', timeout: 10_000 });
  return (result.stdout || result.stderr).trim();
}

/** Starts the server as a child that is expected to refuse to start: its exit code and output. */
async function refusedStart(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(randomPort()), LOG_LEVEL: 'info', SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const child = spawn(process.execPath, FROM_SOURCE, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

describe('hardening: embedded database, secret key, root token, hints, console headers, /metrics', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    reportFigures('hardening-small', figures);
  });

  describe('embedded mode', () => {
    let base: string;
    let dataDir: string;
    let port: number;
    let server: Awaited<ReturnType<typeof spawnServer>>;
    let tcp: { address: string; port: number }[];
    let unix: string[];

    beforeAll(async () => {
      base = await mkdtemp(path.join(tmpdir(), 'syncline-small-'));
      cleanups.push(() => rm(base, { recursive: true, force: true }));
      dataDir = path.join(base, 'created', 'data');
      port = randomPort();
      server = await spawnServer({ SYNCLINE_DATA_DIR: dataDir, DATABASE_URL: undefined, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: undefined }, port);
      cleanups.push(() => stopServer(server.child));
      tcp = listeningTcpSockets(server.child.pid!);
      unix = listeningUnixSockets(server.child.pid!);
      figures.embeddedListeners = { tcp, unix };
    });

    it('listens on TCP for HTTP only; the database socket, its folder and the data dir are for the owner only', async () => {
      expect(tcp.filter((s) => s.port !== port), 'TCP listeners besides the HTTP port').toEqual([]);
      expect(unix).toHaveLength(1);
      for (const socketPath of unix) {
        expect((await mode(path.dirname(socketPath))) & 0o077, `${path.dirname(socketPath)} is for its owner only`).toBe(0);
        expect((await mode(socketPath)) & 0o077, `${socketPath} is for its owner only`).toBe(0);
      }
      // The server creates the data dir and its missing parents for its owner only.
      expect((await mode(path.join(base, 'created'))).toString(8)).toBe('700');
      expect((await mode(dataDir)).toString(8)).toBe('700');
    });

    it.runIf(process.getuid?.() === 0)('another local user reaches no database endpoint', () => {
      const attempts = [
        ...tcp.filter((s) => s.port !== port).map((s) => ({ target: `127.0.0.1:${s.port}`, answer: otherUserConnects({ host: '127.0.0.1', port: s.port }) })),
        ...unix.map((p) => ({ target: p, answer: otherUserConnects({ path: p }) })),
      ];
      figures.otherUserAttempts = attempts;
      expect(attempts.length).toBeGreaterThan(0);
      for (const attempt of attempts) expect(attempt.answer, `nobody connecting to ${attempt.target}`).not.toBe('connected');
      // The HTTP port itself is reachable: the refusals above are the database's, not the sandbox's.
      expect(otherUserConnects({ host: '127.0.0.1', port })).toBe('connected');
    });

    it("keeps what the owner's own client sets (pg_dump's empty search_path, a read-only session) in that client's session", async () => {
      const api = restClient(server.url, ROOT_TOKEN);
      const databaseTcp = tcp.find((s) => s.port !== port);
      const socketPath = unix[0];
      const owner = socketPath
        ? new pg.Client({ host: path.dirname(socketPath), port: Number(path.basename(socketPath).split('.').pop()), user: 'postgres', database: 'postgres' })
        : new pg.Client({ host: '127.0.0.1', port: databaseTcp!.port, user: 'postgres', password: 'postgres', database: 'postgres' });
      await owner.connect();
      try {
        // What pg_dump does first, and a session made read-only with a tiny statement timeout.
        await owner.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
        await owner.query('SET default_transaction_read_only = on');
        const answers = [(await api.get('/v1/streams')).status, (await api.post('/v1/streams', { name: 'while-a-client-has-odd-settings' })).status];
        figures.apiWhileClientHasSessionSettings = answers;
        expect(answers).toEqual([200, 201]);
        // …and the client keeps its own settings in between.
        expect((await owner.query('SHOW search_path')).rows[0]).toEqual({ search_path: '' });
        expect((await owner.query('SHOW default_transaction_read_only')).rows[0]).toEqual({ default_transaction_read_only: 'on' });
      } finally {
        await owner.end();
      }
      expect((await api.post('/v1/streams', { name: 'after-the-client-left' })).status).toBe(201);
    });

    it('stops cleanly', async () => {
      expect(await stopServer(server.child)).toBe(0);
    });
  });

  it('a wrong SYNCLINE_SECRET_KEY refuses to start, with or without a stored check value', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const env = { DATABASE_URL: database.url, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY };
    const startInProcess = () => startApp(loadConfig({ ...env, PORT: '0', LOG_LEVEL: 'silent', SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW }), createLogger('silent'), { disableSyncs: true });
    const first = await startInProcess();
    const api = restClient(first.url, ROOT_TOKEN);
    expect((await api.post('/v1/credentials', { kind: 'stripe', access_token: 'sk_test_sealed_with_key_a' })).status).toBe(201);
    await first.close();

    const otherKey = Buffer.alloc(32, 9).toString('base64');
    const refused = await refusedStart({ ...env, SYNCLINE_SECRET_KEY: otherKey });
    figures.wrongKeyStart = { code: refused.code, message: refused.output.trim().split('\n').pop() };
    expect(refused.code).not.toBe(0);
    expect(refused.code).not.toBeNull();
    expect(refused.output).toContain('SYNCLINE_SECRET_KEY');

    // A database from before the check value: an existing sealed secret decides.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('DELETE FROM secret_key_checks');
    await admin.end();
    const legacy = await refusedStart({ ...env, SYNCLINE_SECRET_KEY: otherKey });
    expect(legacy.code).not.toBe(0);
    expect(legacy.output).toContain('SYNCLINE_SECRET_KEY');

    // The right key still starts, and writes the check value again.
    const again = await startInProcess();
    expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
    await again.close();
  });

  it('/readyz fails while the stored check value does not open with the key', async () => {
    const server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    cleanups.push(() => server.stop());
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await server.app.ctx.pool.query('UPDATE secret_key_checks SET sealed = $1', [new SecretBox(Buffer.alloc(32, 1)).seal('other key')]);
    const answer = await fetch(`${server.url}/readyz`);
    const body = (await answer.json()) as { status: string; reason?: string };
    expect(answer.status).toBe(503);
    expect(body.reason).toMatch(/SYNCLINE_SECRET_KEY/);
  });

  it('a changed SYNCLINE_API_TOKEN revokes the earlier configured one; root tokens made through the API stay', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const start = async (token: string | undefined) => {
      const config = loadConfig({ PORT: '0', DATABASE_URL: database.url, SYNCLINE_API_TOKEN: token, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent', SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW });
      return startApp(config, createLogger('silent'), { disableSyncs: true });
    };
    const first = await start('syn_first_configured_token_000');
    const made = await restClient(first.url, 'syn_first_configured_token_000').post('/v1/api-tokens', { name: 'automation' });
    expect(made.status).toBe(201);
    await first.close();

    const second = await start('syn_second_configured_token_00');
    cleanups.push(() => second.close());
    const statusWith = async (token: string) => (await restClient(second.url, token).get('/v1/streams')).status;
    figures.rotatedToken = { old: await statusWith('syn_first_configured_token_000'), new: await statusWith('syn_second_configured_token_00') };
    expect(await statusWith('syn_first_configured_token_000')).toBe(401);
    expect(await statusWith('syn_second_configured_token_00')).toBe(200);
    expect(await statusWith(made.body.token)).toBe(200);
    // Going back to the revoked value is refused (it cannot become valid again).
    await expect(start('syn_first_configured_token_000')).rejects.toThrow(/SYNCLINE_API_TOKEN/);
  });

  it('secret hints show nothing of a 9-character secret and at most 4 characters of a 20-character one', async () => {
    const server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    cleanups.push(() => server.stop());
    const api = restClient(server.url, ROOT_TOKEN);
    const visible = (hint: string) => hint.replace(/…/g, '');
    const short = 'sk_9chars';
    const long = 'sk_live_20characters';
    const shortCredential = await api.post('/v1/credentials', { kind: 'stripe', access_token: short });
    const longCredential = await api.post('/v1/credentials', { kind: 'stripe', access_token: long });
    const shortApp = await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: 'client', client_secret: short });
    const longApp = await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: 'client', client_secret: long });
    figures.hints = { nine: shortCredential.body.access_token, twenty: longCredential.body.access_token };
    for (const hint of [shortCredential.body.access_token, shortApp.body.client_secret]) expect(visible(hint)).toBe('');
    for (const hint of [longCredential.body.access_token, longApp.body.client_secret]) {
      expect(visible(hint).length).toBeGreaterThan(0);
      expect(visible(hint).length).toBeLessThanOrEqual(4);
    }
    const listed = await api.get(`/v1/credentials/${shortCredential.body.id}`);
    expect(visible(listed.body.access_token)).toBe('');
  });

  it("the console's answers carry a Content-Security-Policy, frame denial, nosniff and no referrer", async () => {
    const server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true });
    cleanups.push(() => server.stop());
    for (const route of ['/', '/streams', '/missing.js']) {
      const answer = await fetch(`${server.url}${route}`);
      await answer.arrayBuffer();
      const csp = answer.headers.get('content-security-policy') ?? '';
      expect(csp, route).toContain("default-src 'self'");
      expect(csp, route).toContain("frame-ancestors 'none'");
      expect(csp, route).toContain("object-src 'none'");
      expect(answer.headers.get('x-frame-options'), route).toBe('DENY');
      expect(answer.headers.get('x-content-type-options'), route).toBe('nosniff');
      expect(answer.headers.get('referrer-policy'), route).toBe('no-referrer');
    }
  });

  it('/metrics wants the root token when the server listens beyond loopback, unless SYNCLINE_METRICS_PUBLIC', async () => {
    const { metricsNeedToken } = await import('../../src/http/metrics-access.ts').catch(() => ({ metricsNeedToken: undefined }));
    expect(metricsNeedToken, 'src/http/metrics-access.ts decides').toBeTypeOf('function');
    expect(metricsNeedToken!('127.0.0.1', false)).toBe(false);
    expect(metricsNeedToken!('0.0.0.0', false)).toBe(true);
    expect(metricsNeedToken!('0.0.0.0', true)).toBe(false);

    // Bound to 127.0.0.1, decided as though HOST reached beyond loopback.
    const server = await startTestServer({ LOG_LEVEL: 'warn' }, { disableSyncs: true, listenerBeyondLoopback: true });
    cleanups.push(() => server.stop());
    const anonymous = await fetch(`${server.url}/metrics`);
    await anonymous.arrayBuffer();
    const tenant = await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'tenant' });
    const asTenant = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tenant.body.api_token.token}` } });
    await asTenant.arrayBuffer();
    const asRoot = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ROOT_TOKEN}` } });
    figures.metrics = { anonymous: anonymous.status, tenant: asTenant.status, root: asRoot.status };
    expect(anonymous.status).toBe(401);
    expect(asTenant.status).toBe(403);
    expect(asRoot.status).toBe(200);
    expect(await asRoot.text()).toContain('syncline_http_requests_total');
  });
});
