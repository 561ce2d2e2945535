import { HELP_OPTION, noMoreThan, parseCommandArgs } from '../args.ts';

export const usage = `usage: syncline rebuild-projections

Empties every read model and replays the event log into it, in one transaction: readers see the
old models until it commits. It opens the database the server would, from the same environment
(DATABASE_URL, else the embedded database in SYNCLINE_DATA_DIR, default ./.syncline relative to
the current directory), migrated first as the server does at start.

On PostgreSQL it may run while servers run. Embedded mode admits one process at a time: stop the
server first (the command fails with exit 1 and says so otherwise).

options:
  -h, --help           show this help

exit status: 0 when rebuilt, 1 when the database could not be opened or the rebuild failed`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args, options: HELP_OPTION, allowPositionals: true }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  noMoreThan(positionals, 0, usage);
  const { loadConfig } = await import('../../config.ts');
  const { commandLogger, describeDatabase, openStorage } = await import('../database-session.ts');
  const { readModelProjections } = await import('../../projections/index.ts');
  const { rebuildReadModels } = await import('../../projections/rebuild.ts');
  const config = loadConfig();
  process.stderr.write(`database: ${describeDatabase(config)}\n`);
  const storage = await openStorage(config, { mustExist: true, logger: commandLogger() });
  try {
    const started = performance.now();
    const { events } = await rebuildReadModels(storage.pool, readModelProjections);
    process.stdout.write(`rebuilt ${readModelProjections.length} read models from ${events} events in ${Math.round(performance.now() - started)} ms\n`);
  } finally {
    await storage.close();
  }
  return 0;
}
