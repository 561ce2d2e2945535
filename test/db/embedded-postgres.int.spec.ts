import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.ts';

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
});
