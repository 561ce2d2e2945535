import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SecretBox } from '../crypto/secret-box.ts';

/**
 * The credential-encryption key: SYNCLINE_SECRET_KEY when set, otherwise (embedded mode only)
 * a key generated once into the data dir with owner-only permissions.
 */
export async function loadSecretBox(configuredKey: string | undefined, dataDir: string): Promise<SecretBox> {
  if (configuredKey) return SecretBox.fromEncodedKey(configuredKey);
  const keyFile = path.join(dataDir, 'secret.key');
  try {
    return SecretBox.fromEncodedKey(await readFile(keyFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = SecretBox.generateEncodedKey();
  await writeFile(keyFile, key, { mode: 0o600, flag: 'wx' });
  return SecretBox.fromEncodedKey(key);
}
