/**
 * `syncline`, the operator's command line (docs/CLI.md), run by bin/syncline.mjs. Each command
 * is its own module, loaded only when called, so that `--help` and the commands that talk to a
 * server over HTTP do not load the server's code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandFailure, oneLine, UsageError } from './cli-errors.ts';
import { packageRoot } from './package-root.ts';

interface CommandModule {
  usage: string;
  run(args: string[]): Promise<number>;
}

interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CommandModule>;
}

const COMMANDS: CommandEntry[] = [
  { name: 'start', summary: 'build when the sources changed, then run the server (as npm start)', load: () => import('./commands/start.ts') },
  { name: 'migrate', summary: 'apply database migrations and SQL functions, then exit', load: () => import('./commands/migrate.ts') },
  { name: 'token', summary: 'create, list or revoke API tokens (create --root: in the database)', load: () => import('./commands/token.ts') },
  { name: 'status', summary: 'syncs and consumers with state and lag; exit 1 if a sync is in error', load: () => import('./commands/status.ts') },
  { name: 'rebuild-projections', summary: 'empty every read model and replay the event log into it', load: () => import('./commands/rebuild-projections.ts') },
  { name: 'emulate', summary: 'run a provider API emulator (Stripe, HubSpot, GitHub…)', load: () => import('./commands/emulate.ts') },
];

const USAGE = `usage: syncline <command> [options]

Runs and operates a Syncline server from its clone (npx syncline … inside it).

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(21)}${c.summary}`).join('\n')}

options:
  -h, --help           show this help (\`syncline <command> --help\`: a command's help)
  -v, --version        print the version

token and status talk to a running server: SYNCLINE_URL (default http://127.0.0.1:7376) and
SYNCLINE_TOKEN. migrate, rebuild-projections and token create --root open the database as
the server does: DATABASE_URL, else the embedded database in SYNCLINE_DATA_DIR.

exit status: 0 on success, 1 on failure (one line on stderr says why), 2 on wrong arguments
(the usage on stderr). See docs/CLI.md.`;

function version(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const entry = COMMANDS.find((c) => c.name === topic);
    if (!entry) throw new UsageError(`unknown command "${topic}"`, USAGE);
    const command = await entry.load();
    // The emulator prints its own help, with the providers it has.
    if (topic === 'emulate') return command.run(['--help']);
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  if (first === undefined) throw new UsageError('missing command', USAGE);
  if (first.startsWith('-')) throw new UsageError(`unknown option "${first}"`, USAGE);
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) throw new UsageError(`unknown command "${first}"`, USAGE);
  const command = await entry.load();
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError && error.usage === undefined) throw new UsageError(error.message, command.usage);
    throw error;
  }
}

/** Exit 2 with the usage for wrong arguments, 1 with one line for a failure; the stack only when LOG_LEVEL asks for debugging. */
function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n\n${error.usage ?? USAGE}\n`);
    return 2;
  }
  process.stderr.write(`error: ${oneLine(error)}\n`);
  const debugging = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
  if (debugging && error instanceof Error && !(error instanceof CommandFailure)) process.stderr.write(`${error.stack}\n`);
  return error instanceof CommandFailure ? error.exitCode : 1;
}

process.exitCode = await main(process.argv.slice(2)).catch(report);
