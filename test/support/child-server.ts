import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

export interface ChildServer {
  child: ChildProcess;
  url: string;
  /** Everything the process printed so far. */
  output(): string;
}

/** What child servers may reach although loopback: the emulators and fakes tests start (DESIGN §9). */
export const LOOPBACK_EGRESS_ALLOW = '127.0.0.0/8,::1/128,localhost';

/** A port unlikely to be taken, for child servers that must keep their address across restarts. */
export function randomPort(): number {
  return 17000 + Math.floor(Math.random() * 8000);
}

/** Node arguments that run the server from source (tests) or from the build (`npm run build`). */
export const FROM_SOURCE = ['--import', 'tsx', 'src/main.ts'];
/** As `npm start` runs it (keep the flags in step with package.json). */
export const FROM_BUILD = ['--enable-source-maps', '--max-old-space-size=512', 'dist/src/main.js'];

/**
 * Starts the server as a real child process with `env` layered over this process's
 * environment (an `undefined` value removes a variable) and waits for `/healthz`.
 */
export async function spawnServer(env: Record<string, string | undefined>, port: number, nodeArgs: string[] = FROM_SOURCE): Promise<ChildServer> {
  const childEnv: NodeJS.ProcessEnv = { SYNCLINE_EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW, ...process.env, PORT: String(port), LOG_LEVEL: 'info' };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const child = spawn(process.execPath, nodeArgs, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start: ${output}`);
    }
    const healthy = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (healthy) return { child, url, output: () => output };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sends `signal` and resolves with the exit code (null when killed by the signal). */
export async function stopServer(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}
