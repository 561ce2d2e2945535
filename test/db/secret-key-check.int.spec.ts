import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { SecretKeyMismatchError, secretKeyProblem, verifySecretKey } from '../../src/db/secret-key-check.ts';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../support/database.ts';

const keyA = new SecretBox(Buffer.alloc(32, 1));
const keyB = new SecretBox(Buffer.alloc(32, 2));

describe('the secret key check value', () => {
  let db: MigratedTestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createMigratedTestDatabase(2);
    pool = db.pool;
  });

  afterAll(() => db?.close());

  it('is written at the first start and opens with the same key only', async () => {
    expect(await secretKeyProblem(pool, keyA)).toMatch(/not been checked/);
    await verifySecretKey(pool, keyA);
    await verifySecretKey(pool, keyA);
    expect(await secretKeyProblem(pool, keyA)).toBeNull();
    await expect(verifySecretKey(pool, keyB)).rejects.toThrow(SecretKeyMismatchError);
    await expect(verifySecretKey(pool, keyB)).rejects.toThrow(/SYNCLINE_SECRET_KEY/);
    expect(await secretKeyProblem(pool, keyB)).toMatch(/SYNCLINE_SECRET_KEY/);
  });

  it('checks a database from before the check value against one of its sealed secrets', async () => {
    await pool.query('DELETE FROM secret_key_checks');
    await pool.query(
      `INSERT INTO oauth_apps (id, account_id, provider, client_id, client_secret_encrypted, client_secret_hint, created_at)
       VALUES ($1, $2, 'hubspot', 'client', $3, '…', now())`,
      [randomUUID(), randomUUID(), keyA.seal('client secret')],
    );
    await expect(verifySecretKey(pool, keyB)).rejects.toThrow(SecretKeyMismatchError);
    expect((await pool.query('SELECT count(*)::int AS n FROM secret_key_checks')).rows[0]).toEqual({ n: 0 });
    await verifySecretKey(pool, keyA);
    expect(await secretKeyProblem(pool, keyA)).toBeNull();
    await expect(verifySecretKey(pool, keyB)).rejects.toThrow(SecretKeyMismatchError);
  });
});
