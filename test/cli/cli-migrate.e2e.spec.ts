import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/db/migrate.ts';
import { readSqlFunctions } from '../../src/db/sql-functions.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_SECRET_KEY } from '../support/server.ts';

describe('syncline migrate and rebuild-projections open the database as the server does', () => {
  let database: TestDatabase;
  let dataDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'syncline-cli-'));
  });

  afterAll(async () => {
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('migrate on a fresh PostgreSQL database applies every migration and SQL function, then says it is current', async () => {
    const env = { DATABASE_URL: database.url, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY };
    const [migrations, functions] = await Promise.all([readMigrations(), readSqlFunctions()]);

    const first = await runCli(['migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^database: PostgreSQL postgresql:\/\/.*\/syncline_test_\w+ \(DATABASE_URL\)\n$/);
    expect(first.stdout).toContain(`applied ${migrations.length} migrations`);
    expect(first.stdout).toContain(`installed ${functions.length} SQL functions`);
    for (const migration of migrations) expect(first.stdout).toContain(`  ${migration.name}\n`);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const applied = await client.query<{ count: string }>('SELECT count(*) FROM _syncline_migrations');
      expect(Number(applied.rows[0]!.count)).toBe(migrations.length);
      const eventStore = await client.query<{ present: boolean }>(`SELECT to_regclass('emt_messages') IS NOT NULL AS present`);
      expect(eventStore.rows[0]!.present).toBe(true);
    } finally {
      await client.end();
    }

    const second = await runCli(['migrate', '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ migrations: [], sql_functions: [] });
    const human = await runCli(['migrate'], env);
    expect(human.stdout).toBe('the database is current: no migration or SQL function to apply\n');
  });

  it('rebuild-projections replays the event log of a PostgreSQL database', async () => {
    const result = await runCli(['rebuild-projections'], { DATABASE_URL: database.url, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^rebuilt \d+ read models from 0 events in \d+ ms\n$/);
  });

  it('a database that cannot be reached: exit 1, one line naming it, no password', async () => {
    const result = await runCli(['migrate'], { DATABASE_URL: 'postgresql://someone:hunter2secret@127.0.0.1:9/nowhere', SYNCLINE_SECRET_KEY: TEST_SECRET_KEY });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2); // "database: …", then the error
    expect(lines[1]).toMatch(/^error: cannot open the PostgreSQL postgresql:\/\/someone@127\.0\.0\.1:9\/nowhere \(DATABASE_URL\): .*ECONNREFUSED/);
    expect(result.stderr).not.toContain('hunter2secret');
  });

  it('embedded mode: migrate creates the database; while another process holds the data dir it exits 1 and says so', async () => {
    const fresh = await runCli(['migrate'], { SYNCLINE_DATA_DIR: dataDir });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toBe(`database: embedded database in ${dataDir} (SYNCLINE_DATA_DIR)\n`);
    expect(fresh.stdout).toMatch(/^applied \d+ migrations/);

    // This test's own process stands for a running embedded server: it holds the data dir's lock.
    await writeFile(path.join(dataDir, 'syncline.pid'), String(process.pid));
    try {
      for (const args of [['migrate'], ['rebuild-projections'], ['token', 'create', '--root']]) {
        const held = await runCli(args, { SYNCLINE_DATA_DIR: dataDir });
        expect({ args, code: held.code }).toEqual({ args, code: 1 });
        expect(held.stderr).toContain(`error: the embedded database in ${dataDir} is in use by process ${process.pid} (a running Syncline server?): stop it first`);
      }
    } finally {
      await rm(path.join(dataDir, 'syncline.pid'), { force: true });
    }
    // Every migration applied inside PGlite (WebAssembly): 15 s alone, past 60 s on a loaded 2-core machine.
  }, 180_000);

  it('embedded mode: rebuild-projections and token create --root do not create a database where there is none', async () => {
    const empty = path.join(dataDir, 'not-here');
    for (const args of [['rebuild-projections'], ['token', 'create', '--root']]) {
      const result = await runCli(args, { SYNCLINE_DATA_DIR: empty });
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toContain(`error: no embedded database in ${empty}: run this where the server runs`);
    }
  });
});
