import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { MAX_SOCKET_PATH_BYTES } from '../../src/db/embedded-socket.ts';

describe('embedded PostgreSQL (PGlite over a socket) under concurrent connections', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'syncline-pglite-'));
    embedded = await startEmbeddedPostgres(dataDir, 20);
    pool = new pg.Pool({ connectionString: embedded.connectionString, max: 8 });
    await pool.query('CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL)');
  });

  afterAll(async () => {
    await pool?.end();
    await embedded?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives every parameterized query its own answer while other connections run transactions', async () => {
    const transactions = Array.from({ length: 30 }, async (_, i) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT $1::int AS a', [i]);
        await client.query('SELECT $1::int AS a, $2::int AS b', [i, i]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    // Different parameter counts make a mix-up of two connections' statements fail loudly.
    const queries = Array.from({ length: 300 }, async (_, i) => {
      const body = `${i}:`.padEnd(i % 7 === 0 ? 100_000 : 10, 'x');
      const sql = i % 2 === 0 ? 'SELECT $1::int AS n, $2::text AS body' : 'SELECT $1::int AS n, $2::text AS body, $3::int AS extra';
      const { rows } = await pool.query<{ n: number; body: string }>(sql, i % 2 === 0 ? [i, body] : [i, body, i]);
      return { i, body, row: rows[0] };
    });
    const [answers] = await Promise.all([Promise.all(queries), Promise.all(transactions)]);
    for (const { i, body, row } of answers) expect(row).toMatchObject({ n: i, body });
  });

  it('keeps transactions of different connections apart', async () => {
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query('INSERT INTO items (id, body) VALUES ($1, $2)', [i, `item ${i}`]);
          if (i % 4 === 0) await client.query('ROLLBACK');
          else await client.query('COMMIT');
        } finally {
          client.release();
        }
      }),
    );
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM items ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 !== 0));
  });

  it("keeps another client's session settings to that client, across the server's own queries", async () => {
    // The pool above connects with the server's own application_name; this client is someone else's.
    const other = new pg.Client({ host: path.dirname(embedded.socketPath), user: 'postgres', database: 'postgres' });
    await other.connect();
    try {
      await other.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
      await other.query(`SET default_transaction_read_only = on`);
      await other.query(`SET work_mem = '8MB'`);
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          await pool.query('INSERT INTO items (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body', [1000 + i, 'written']);
          expect((await pool.query('SHOW search_path')).rows[0]).toEqual({ search_path: 'public' });
          const own = await other.query<{ sp: string; ro: string; wm: string }>(
            `SELECT current_setting('search_path') AS sp, current_setting('default_transaction_read_only') AS ro, current_setting('work_mem') AS wm`,
          );
          expect(own.rows[0]).toEqual({ sp: '', ro: 'on', wm: '8MB' });
        }),
      );
      // Its read-only session refuses writes; the server's do not notice.
      await expect(other.query('INSERT INTO public.items (id, body) VALUES (9999, $1)', ['x'])).rejects.toThrow(/read-only/);
    } finally {
      await other.end();
    }
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM items WHERE body = $1', ['written']);
    expect(Number(rows[0]!.n)).toBe(50);
    expect((await pool.query('SHOW default_transaction_read_only')).rows[0]).toEqual({ default_transaction_read_only: 'off' });
  });

  it('listens on an owner-only Unix socket, in a temp directory when the data dir path is too long for one', async () => {
    expect((await stat(path.dirname(embedded.socketPath))).mode & 0o777).toBe(0o700);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const deep = path.join(dataDir, 'd'.repeat(60), 'e'.repeat(60));
    const long = await startEmbeddedPostgres(deep, 2);
    try {
      expect(Buffer.byteLength(long.socketPath)).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
      expect(long.socketPath.startsWith(deep)).toBe(false);
      expect((await stat(path.dirname(long.socketPath))).mode & 0o777).toBe(0o700);
      const client = new pg.Client({ connectionString: long.connectionString });
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await long.close();
    }
    await expect(stat(path.dirname(long.socketPath))).rejects.toThrow(/ENOENT/);
  });
});
