import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FROM_BUILD, LOOPBACK_EGRESS_ALLOW, randomPort, spawnServer, stopServer, type ChildServer } from '../../test/support/child-server.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

export const BENCH_TOKEN = 'syn_bench_root_token_0123456789';
export const BENCH_SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

/** The Syncline server as its own process on `databaseUrl`, built, the way `npm start` runs it; `env` adds to its environment. */
export function startServer(databaseUrl: string, env: Record<string, string | undefined> = {}): Promise<ChildServer> {
  // BENCH_CPU_PROF_DIR=<dir>: the server writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  return spawnServer(
    // The emulators listen on loopback: the egress policy must allow it.
    { DATABASE_URL: databaseUrl, SYNCLINE_API_TOKEN: BENCH_TOKEN, SYNCLINE_SECRET_KEY: BENCH_SECRET_KEY, LOG_LEVEL: 'warn', SYNCLINE_EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW, ...env },
    randomPort(),
    [...profile, ...FROM_BUILD],
  );
}

export { stopServer };

/** Peak resident set size of a process so far (VmHWM), in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export interface EmulatorProcess {
  child: ChildProcess;
  url: string;
  apiKey: string;
  stop(): Promise<void>;
}

/** The Stripe emulator in its own process, so it does not share the server's or the bench's CPU time. */
export async function startEmulator(customers: number): Promise<EmulatorProcess> {
  const port = randomPort();
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=8192', '--import', 'tsx', 'src/emulators/cli.ts', 'stripe', '--objects', String(customers), '--port', String(port), '--log-level', 'warn'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 300_000;
  while (!/"api_base_url"/.test(output)) {
    if (child.exitCode !== null) throw new Error(`emulator exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`emulator did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const credential = JSON.parse(/\{"kind".*\}/.exec(output)![0]) as { secret: string; api_base_url: string };
  return {
    child,
    url: credential.api_base_url,
    apiKey: credential.secret,
    async stop() {
      await stopServer(child, 'SIGTERM');
    },
  };
}
