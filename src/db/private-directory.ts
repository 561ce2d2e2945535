import { chmod, mkdir, stat } from 'node:fs/promises';

/**
 * Makes `dir` (and any missing parent) a directory only its owner can enter: the embedded
 * database's files, its socket and the generated secret key live there. An existing directory
 * open to others is tightened to 0700.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { mode } = await stat(dir);
  if ((mode & 0o077) === 0) return;
  await chmod(dir, 0o700).catch((error: Error) => {
    throw new Error(`${dir} is open to other users and could not be made private (chmod 0700): ${error.message}`);
  });
}
