import type pg from 'pg';
import { ConfigError } from '../config.ts';
import type { SecretBox } from '../crypto/secret-box.ts';

const CHECK_TEXT = 'syncline secret key check';

export class SecretKeyMismatchError extends ConfigError {}

const mismatch = (what: string) =>
  `SYNCLINE_SECRET_KEY does not open ${what}: it is not the key this database's secrets were sealed with. ` +
  'Start with the original key (in embedded mode without SYNCLINE_SECRET_KEY, the data dir\'s secret.key); refusing to start.';

function opens(box: SecretBox, sealed: string, expected?: string): boolean {
  try {
    const plaintext = box.open(sealed);
    return expected === undefined || plaintext === expected;
  } catch {
    return false;
  }
}

async function storedCheck(db: pg.Pool | pg.PoolClient): Promise<string | null> {
  const { rows } = await db.query<{ sealed: string }>('SELECT sealed FROM secret_key_checks WHERE id = 1');
  return rows[0]?.sealed ?? null;
}

/** One secret sealed before the check value existed (a database from an earlier version), if any. */
async function anySealedSecret(pool: pg.Pool): Promise<string | null> {
  const { rows } = await pool.query<{ sealed: string }>(
    `(SELECT secrets_encrypted AS sealed FROM credentials LIMIT 1)
     UNION ALL (SELECT client_secret_encrypted FROM oauth_apps LIMIT 1)
     UNION ALL (SELECT secrets_encrypted FROM nats_consumers LIMIT 1)
     LIMIT 1`,
  );
  return rows[0]?.sealed ?? null;
}

/**
 * At start: the stored check value must open with `box`; a database without one is checked
 * against one of its sealed secrets, then given one. Throws SecretKeyMismatchError (the server
 * refuses to start) when the key is not the database's.
 */
export async function verifySecretKey(pool: pg.Pool, box: SecretBox): Promise<void> {
  let sealed = await storedCheck(pool);
  if (sealed === null) {
    const existing = await anySealedSecret(pool);
    if (existing !== null && !opens(box, existing)) throw new SecretKeyMismatchError(mismatch('the secrets stored in this database'));
    await pool.query('INSERT INTO secret_key_checks (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [box.seal(CHECK_TEXT)]);
    sealed = (await storedCheck(pool))!; // another instance may have written it first, with its key
  }
  if (!opens(box, sealed, CHECK_TEXT)) throw new SecretKeyMismatchError(mismatch("the database's key check value"));
}

/** For /readyz: why the key check does not pass now, or null when it does. */
export async function secretKeyProblem(pool: pg.Pool, box: SecretBox): Promise<string | null> {
  const sealed = await storedCheck(pool);
  if (sealed === null) return 'SYNCLINE_SECRET_KEY has not been checked against this database (no check value stored; restart to write it)';
  return opens(box, sealed, CHECK_TEXT) ? null : 'SYNCLINE_SECRET_KEY does not open the stored key check value: it is not the key of this database';
}
