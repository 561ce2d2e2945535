import { HELP_OPTION, noMoreThan, parseCommandArgs } from '../args.ts';

export const usage = `usage: syncline migrate [--json]

Applies the database migrations (prisma/migrations), the SQL functions whose files changed
(prisma/functions) and the event store's schema, as the server does at start, prints what it
applied and exits. It opens the database the server would, from the same environment:
DATABASE_URL (with SYNCLINE_SECRET_KEY, as the server requires), else the embedded database
in SYNCLINE_DATA_DIR (default ./.syncline, relative to the current directory), created when
absent.

Embedded mode admits one process at a time: while a server runs on the data dir this command
fails (exit 1) and says so; stop the server first (it applies migrations itself at start).
On PostgreSQL it may run beside running servers: migrations take an advisory lock.

options:
  --json               print {"database", "migrations": [...], "sql_functions": [...]}
  -h, --help           show this help

exit status: 0 when the database is current, 1 when it could not be opened or migrated`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args, options: { ...HELP_OPTION, json: { type: 'boolean' } }, allowPositionals: true }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  noMoreThan(positionals, 0, usage);
  const { loadConfig } = await import('../../config.ts');
  const { commandLogger, describeDatabase, openStorage } = await import('../database-session.ts');
  const config = loadConfig();
  const where = describeDatabase(config);
  process.stderr.write(`database: ${where}\n`);
  const storage = await openStorage(config, { mustExist: false, logger: commandLogger() });
  await storage.close();
  const { migrations, sqlFunctions } = storage.applied;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ database: where, migrations, sql_functions: sqlFunctions })}\n`);
  } else if (migrations.length === 0 && sqlFunctions.length === 0) {
    process.stdout.write('the database is current: no migration or SQL function to apply\n');
  } else {
    const list = (names: string[]) => names.map((name) => `  ${name}\n`).join('');
    process.stdout.write(`applied ${migrations.length} migration${migrations.length === 1 ? '' : 's'}\n${list(migrations)}`);
    process.stdout.write(`installed ${sqlFunctions.length} SQL function${sqlFunctions.length === 1 ? '' : 's'}\n${list(sqlFunctions)}`);
  }
  return 0;
}
