import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Runs the README's shell blocks as a newcomer would, in order, against the embedded server and
 * the Stripe emulator the README starts. What the test must fill in is only what the README tells
 * the reader to fill in: the token printed at first start (`syn_…`), the ids an answer returned
 * (`<sync id>`, `<ack_id>`), and free ports instead of 7376 and 12111. `curl` fails on an HTTP
 * error here (`--fail-with-body`), so a block that answers 4xx or 5xx fails the test.
 */

const root = path.resolve(import.meta.dirname, '..', '..');

interface Block {
  heading: string;
  text: string;
}

function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let heading = '';
  let current: string[] | null = null;
  for (const line of markdown.split('\n')) {
    if (current) {
      if (line.startsWith('```')) {
        blocks.push({ heading, text: current.join('\n') });
        current = null;
      } else current.push(line);
    } else if (line.startsWith('```sh')) current = [];
    else if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
  }
  return blocks;
}

/** Complete shell statements: lines joined while a `\` continues them or a single quote is open. */
function statements(block: string): string[] {
  const result: string[] = [];
  let current = '';
  for (const line of block.split('\n')) {
    current = current ? `${current}\n${line}` : line;
    const quotesOpen = (current.match(/'/g) ?? []).length % 2 === 1;
    if (line.trimEnd().endsWith('\\') || quotesOpen) continue;
    if (current.trim() && !current.trim().startsWith('#')) result.push(current);
    current = '';
  }
  if (current.trim()) throw new Error(`unterminated statement in the README: ${current}`);
  return result;
}

const PRELUDE = 'set -eo pipefail\ncurl() { command curl --fail-with-body --max-time 30 "$@"; }\n';

function runShell(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', PRELUDE + script], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function lastJson(output: string): any {
  return JSON.parse(output.trim());
}

describe('the README quickstart runs as written', () => {
  let server: ChildServer | undefined;
  let emulator: ChildProcess | undefined;
  let receiver: ChildProcess | undefined;
  let dataDir = '';

  afterAll(async () => {
    emulator?.kill('SIGTERM');
    receiver?.kill('SIGTERM');
    if (server) await stopServer(server.child);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('every shell block, in order, against the embedded server and the Stripe emulator', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const blocks = shellBlocks(readme);
    const port = randomPort();
    const emulatorPort = randomPort() + 1;
    const receiverPort = randomPort() + 2;
    let received = '';
    const vars: Record<string, string> = {};
    const ran: string[] = [];
    let previous = '';
    let sawEmulator = false;
    let sawServerStart = false;

    for (const block of blocks) {
      if (/^npm ci && npm start/m.test(block.text)) {
        // The fresh-machine commands: CI runs `npm ci` and `npm test` itself; the server is started below as the README says to.
        expect(block.text).toMatch(/^npm test/m);
        continue;
      }
      const serverStart = /^(\S+=\S+ )+npm start$/m.exec(block.text.trim());
      if (serverStart) {
        const env = Object.fromEntries(serverStart[0].replace(/ npm start$/, '').split(' ').map((pair) => pair.split('=', 2) as [string, string]));
        dataDir = await mkdtemp(path.join(tmpdir(), 'syncline-readme-'));
        // `npm start` runs the build of the same source; the test runs the source (tests do not build).
        server = await spawnServer({ ...env, SYNCLINE_DATA_DIR: dataDir, DATABASE_URL: undefined, SYNCLINE_API_TOKEN: undefined, SYNCLINE_SECRET_KEY: undefined }, port);
        sawServerStart = true;
        continue;
      }
      if (/^npm run emulate -- stripe/.test(block.text.trim())) {
        expect(server, 'the README starts the server before the emulator').toBeDefined();
        let printed = '';
        emulator = spawn('bash', ['-c', `exec ${block.text.trim()} --port ${emulatorPort}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        emulator.stdout!.on('data', (chunk) => (printed += chunk));
        emulator.stderr!.on('data', (chunk) => (printed += chunk));
        await waitFor(async () => (printed.includes(`127.0.0.1:${emulatorPort}`) ? true : emulator!.exitCode !== null ? Promise.reject(new Error(printed)) : null), 60_000, 'the Stripe emulator to start');
        sawEmulator = true;
        continue;
      }
      if (/node examples\/webhook-receiver\.mjs$/.test(block.text.trim())) {
        const command = block.text.trim().replace('PORT=8080', `PORT=${receiverPort}`);
        receiver = spawn('bash', ['-c', `exec env ${command}`], { cwd: root, env: { ...process.env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
        receiver.stdout!.on('data', (chunk) => (received += chunk));
        receiver.stderr!.on('data', (chunk) => (received += chunk));
        // The consumer created above retries the deliveries that found no receiver: one arrives, verified.
        await waitFor(async () => (/ stripe:\w+ \S+ @\d+/.test(received) ? true : receiver!.exitCode !== null ? Promise.reject(new Error(received)) : null), 60_000, 'a verified delivery at the example receiver');
        continue;
      }
      expect(server, `the block under "${block.heading}" needs the server the README starts first`).toBeDefined();
      for (const raw of statements(block.text)) {
        const exported = /^export (\w+)=(<[^>]+>|\S+)/.exec(raw.trim());
        if (exported) {
          const [, name = '', value = ''] = exported;
          if (value.startsWith('syn_')) vars[name] = /syn_[A-Za-z0-9_-]+/.exec(server!.output())![0];
          else if (value === '<sync id>') vars[name] = lastJson(previous).id;
          else if (value === '<secret>') vars[name] = lastJson(previous).secret;
          else throw new Error(`the README asks to export ${name}=${value}, which this test does not know how to fill in`);
          continue;
        }
        let statement = raw.replaceAll('localhost:7376', `localhost:${port}`).replaceAll('127.0.0.1:12111', `127.0.0.1:${emulatorPort}`).replaceAll('127.0.0.1:8080', `127.0.0.1:${receiverPort}`);
        if (statement.includes('<ack_id>')) statement = statement.replaceAll('<ack_id>', lastJson(previous).data[0].ack_id);
        const result = await runShell(statement, vars);
        expect(result.code, `README statement under "${block.heading}" failed:\n${statement}\n${result.stdout}\n${result.stderr}`).toBe(0);
        previous = result.stdout;
        ran.push(statement);
      }
    }

    expect(sawServerStart && sawEmulator).toBe(true);
    expect(received).not.toContain('bad signature');
    // The consume step received records of the emulator's sync and acknowledged one.
    const receive = ran.findIndex((s) => s.includes('/receive'));
    expect(receive).toBeGreaterThan(0);
    expect(ran[receive + 1]).toContain('/ack');
    // The last block asks GraphQL who the token belongs to.
    expect(lastJson(previous).data.viewer.account.name).toEqual(expect.any(String));
  }, 240_000);
});
