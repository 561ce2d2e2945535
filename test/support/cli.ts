import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
export const SYNCLINE_BIN = path.join(root, 'bin', 'syncline.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the test runner's own environment must not lend the CLI: each test says which server and database it means. */
const UNSET = ['DATABASE_URL', 'SYNCLINE_DATA_DIR', 'SYNCLINE_URL', 'SYNCLINE_TOKEN', 'SYNCLINE_API_TOKEN', 'SYNCLINE_SECRET_KEY', 'LOG_LEVEL', 'PORT'];

/** Runs `syncline <args>` as a user would, through the package's bin launcher, in a child process. */
export function runCli(args: string[], env: Record<string, string> = {}, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of UNSET) delete childEnv[name];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SYNCLINE_BIN, ...args],
      { cwd: options.cwd ?? root, env: { ...childEnv, ...env }, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
