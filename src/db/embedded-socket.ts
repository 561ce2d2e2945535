import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensurePrivateDirectory } from './private-directory.ts';

/** The name libpq and `pg` look for in a socket directory (`host=<dir>`, default port 5432). */
const SOCKET_NAME = '.s.PGSQL.5432';
/** `sun_path` holds 108 bytes on Linux, the terminating NUL included. */
export const MAX_SOCKET_PATH_BYTES = 107;

export interface EmbeddedSocket {
  /** The directory a client names as its host. */
  dir: string;
  path: string;
  /** Removes the socket (and the directory, when it is a temporary one). */
  remove(): Promise<void>;
}

const fits = (dir: string) => Buffer.byteLength(path.join(dir, SOCKET_NAME)) <= MAX_SOCKET_PATH_BYTES;

/**
 * Where the embedded database listens: a Unix socket in `<dataDir>/socket`, a directory only the
 * server's user can enter, so no other local user reaches the database. When that path is too
 * long for a socket, a fresh 0700 directory under the OS temp dir holds it instead.
 * Call it with the data dir locked: a socket left by a killed server is removed.
 */
export async function prepareEmbeddedSocket(dataDir: string): Promise<EmbeddedSocket> {
  const preferred = path.resolve(dataDir, 'socket');
  if (fits(preferred)) {
    await ensurePrivateDirectory(preferred);
    const socketPath = path.join(preferred, SOCKET_NAME);
    await rm(socketPath, { force: true });
    return { dir: preferred, path: socketPath, remove: () => rm(socketPath, { force: true }) };
  }
  const temporary = await mkdtemp(path.join(tmpdir(), 'syncline-')); // created 0700
  if (!fits(temporary)) {
    await rm(temporary, { recursive: true, force: true });
    throw new Error(`no socket path of at most ${MAX_SOCKET_PATH_BYTES} bytes for the embedded database: shorten SYNCLINE_DATA_DIR or TMPDIR`);
  }
  return { dir: temporary, path: path.join(temporary, SOCKET_NAME), remove: () => rm(temporary, { recursive: true, force: true }) };
}
