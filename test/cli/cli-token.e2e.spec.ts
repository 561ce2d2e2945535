import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient } from '../support/api.ts';
import { runCli } from '../support/cli.ts';
import { ROOT_TOKEN, startTestServer, TEST_SECRET_KEY, type TestServer } from '../support/server.ts';

describe('syncline token create|list|revoke against a running server', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    env = { SYNCLINE_URL: server.url, SYNCLINE_TOKEN: ROOT_TOKEN };
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('create prints the secret alone on stdout; list shows it without the secret; revoke makes it answer 401', async () => {
    const created = await runCli(['token', 'create', '--name', 'ci'], env);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(created.stdout).toBe(`${secret}\n`);
    expect(secret).toMatch(/^syn_/);
    expect(created.stderr).toMatch(/^created API token [0-9a-f-]{36} "ci": its secret, above, is shown once\n$/);
    const id = /token ([0-9a-f-]{36})/.exec(created.stderr)![1]!;
    expect((await restClient(server.url, secret).get('/v1/account')).status).toBe(200);

    const listed = await runCli(['token', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const tokens = JSON.parse(listed.stdout) as { id: string; name: string; prefix: string; revoked_at: string | null }[];
    expect(tokens.find((t) => t.id === id)).toMatchObject({ name: 'ci', revoked_at: null, prefix: secret.slice(0, tokens.find((t) => t.id === id)!.prefix.length) });
    expect(listed.stdout).not.toContain(secret);

    const table = await runCli(['token', 'list'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PREFIX\s+CREATED\s+REVOKED$/);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+ci\\s+`, 'm'));

    const revoked = await runCli(['token', 'revoke', id], env);
    expect(revoked).toEqual({ code: 0, stdout: `revoked API token ${id}\n`, stderr: '' });
    expect((await restClient(server.url, secret).get('/v1/account')).status).toBe(401);
    const after = JSON.parse((await runCli(['token', 'list', '--json'], env)).stdout) as { id: string; revoked_at: string | null }[];
    expect(after.find((t) => t.id === id)!.revoked_at).not.toBeNull();

    // The revoked token itself is refused, in one line that says what to check.
    const refused = await runCli(['token', 'list'], { ...env, SYNCLINE_TOKEN: secret });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: the server answered 401 unauthorized: .* \(check SYNCLINE_TOKEN or --token\)\n$/);
    expect(refused.stderr).not.toContain(secret);
    expect(server.logLines.join('')).not.toContain(secret);
  });

  it('create --json answers the whole token; revoke of an unknown id exits 1', async () => {
    const created = await runCli(['token', 'create', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'api token', revoked_at: null, token: expect.stringMatching(/^syn_/) });

    const unknown = await runCli(['token', 'revoke', '00000000-0000-4000-8000-00000000beef'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: the server answered 404 not_found: /);
  });

  it('create --root mints a root token in the database, for an operator who lost every root token, and never logs it', async () => {
    const minted = await runCli(['token', 'create', '--root'], { DATABASE_URL: server.database.url, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'debug' });
    expect(minted.code, minted.stderr).toBe(0);
    const secret = minted.stdout.trim();
    expect(secret).toMatch(/^syn_/);
    expect(minted.stderr).toContain('created root token');
    expect(minted.stderr).toContain('"root token (cli)"');
    expect(minted.stderr).not.toContain(secret);

    // The running server accepts it at once, as a root token (only root may create accounts).
    const account = await restClient(server.url, secret).post('/v1/accounts', { name: 'made with the recovered token' });
    expect(account.status).toBe(201);
    const listed = await runCli(['token', 'list', '--json'], { SYNCLINE_URL: server.url, SYNCLINE_TOKEN: secret });
    expect(JSON.parse(listed.stdout).map((t: { name: string }) => t.name)).toContain('root token (cli)');
    expect(server.logLines.join('')).not.toContain(secret);
  });
});
