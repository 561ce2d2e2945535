import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Another live process (a running embedded server, or a tool such as `syncline migrate`) holds the data dir. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(`data dir ${dataDir} is in use by process ${holderPid}; stop it or set SYNCLINE_DATA_DIR`);
    this.name = 'DataDirInUseError';
  }
}

/**
 * PGlite has no multi-process safety: two servers on one data dir would corrupt it. A pid file
 * keeps a second process out; a stale one (its process is gone, e.g. after SIGKILL) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dataDir, 'syncline.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new DataDirInUseError(dataDir, holder);
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new Error(`could not lock data dir ${dataDir}`);
}
