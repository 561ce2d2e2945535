import { join } from 'node:path';
import { HELP_OPTION, noMoreThan, parseCommandArgs } from '../args.ts';
import { buildWhenStale } from '../build-inputs.ts';
import { CommandFailure } from '../cli-errors.ts';
import { runNode } from '../child-process.ts';
import { packageRoot } from '../package-root.ts';

/** Node's flags for the compiled server: the same as package.json's `start` script (a test holds them equal). */
export const SERVER_NODE_FLAGS = ['--enable-source-maps', '--max-old-space-size=512'];
export const SERVER_ENTRY = 'dist/src/main.js';

export const usage = `usage: syncline start

Builds the server when its sources changed since the last build (as \`npm start\`: the Prisma
client, TypeScript into dist/, the console), then runs the compiled server in the foreground
until SIGINT or SIGTERM. It is configured by the environment (PORT, HOST, DATABASE_URL,
SYNCLINE_DATA_DIR, SYNCLINE_API_TOKEN…: see the README's Configuration); the embedded
database's SYNCLINE_DATA_DIR (default ./.syncline) is relative to the current directory.

On its first start the server prints a root API token once.

options:
  -h, --help           show this help

exit status: the server's (0 after a clean shutdown); 1 when the build fails`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args, options: HELP_OPTION, allowPositionals: true }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  noMoreThan(positionals, 0, usage);
  const root = packageRoot();
  const built = buildWhenStale(root);
  if (built !== 0) throw new CommandFailure(`the build failed (npm run build exited ${built}): see its output above`);
  return runNode([...SERVER_NODE_FLAGS, join(root, SERVER_ENTRY)]);
}
