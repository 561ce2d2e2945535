import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CONSOLE_DIR = join(ROOT, 'dist/console');
const WEB_DIR = join(ROOT, 'web');

function newestMtime(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** True when dist/console is missing or older than any file under web/. */
export function consoleIsStale(): boolean {
  const index = join(CONSOLE_DIR, 'index.html');
  if (!existsSync(index)) return true;
  return newestMtime(WEB_DIR) > statSync(index).mtimeMs;
}

/**
 * Builds the console with Vite unless dist/console is up to date. A lock directory keeps two test
 * files (or a test and `npm run build`) from building into the same folder at once.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const lock = join(ROOT, 'dist/.console-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run (older than any build takes) is taken over.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmdirSync(lock);
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${lock}; remove it if no build runs`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (!consoleIsStale()) return;
    // In a child process: vitest's NODE_ENV=test would otherwise give React's development build.
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', WEB_DIR, '--logLevel', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production' },
      timeout: 110_000,
    });
  } finally {
    rmdirSync(lock);
  }
}
