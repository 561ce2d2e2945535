import { z } from 'zod';
import { ApiClient, CONNECTION_OPTIONS, CONNECTION_USAGE, serverConnection } from '../api-client.ts';
import { HELP_OPTION, noMoreThan, parseCommandArgs } from '../args.ts';
import { CommandFailure, UsageError } from '../cli-errors.ts';
import { NONE, table } from '../table.ts';

export const usage = `usage: syncline token <create|list|revoke> [options]

Manages the API tokens of the account whose token you give, through a running server's REST API
(/v1/api-tokens). A token's secret is printed once, when it is created, and never logged.

  syncline token create [--name NAME] [--json]     create a token; prints its secret
  syncline token create --root [--name NAME] [--json]
                                                   mint a root token in the database itself,
                                                   for an operator who lost every root token
  syncline token list [--json]                     the account's tokens (no secrets)
  syncline token revoke <id>                       revoke a token: it gets 401 from then on

Run \`syncline token <subcommand> --help\` for its options.`;

const createUsage = `usage: syncline token create [--name NAME] [--json] [--url URL] [--token TOKEN]
       syncline token create --root [--name NAME] [--json]

Creates an API token for the account of the token you authenticate with and prints its secret
on stdout, alone on its line (TOKEN=$(syncline token create --name ci)); a line on stderr names
it. The secret is shown this once: the server keeps only its hash.

--root does not go through a server: it opens the database as the server does (DATABASE_URL,
else the embedded database in SYNCLINE_DATA_DIR, relative to the current directory) and creates
a token of the root account through the same command the API uses. It is the way back for an
operator who lost every root token; it needs no token, only access to the database. In
embedded mode stop the server first (one process at a time); on PostgreSQL servers may run.
Then revoke the lost tokens: syncline token list, syncline token revoke <id>.

options:
  --name NAME          the token's name (default "api token"; with --root "root token (cli)")
  --root               mint a root token in the database (see above)
  --json               print {id, name, prefix, created_at, revoked_at, token} instead
${CONNECTION_USAGE}
  -h, --help           show this help

exit status: 0 when created, 1 on failure, 2 on wrong arguments`;

const listUsage = `usage: syncline token list [--json] [--url URL] [--token TOKEN]

Lists the API tokens of your token's account, revoked ones included: id, name, the first
characters of the secret (prefix), when it was created and revoked. No secret is shown.

options:
  --json               print a JSON array of {id, name, prefix, created_at, revoked_at}
${CONNECTION_USAGE}
  -h, --help           show this help

exit status: 0, 1 on failure, 2 on wrong arguments`;

const revokeUsage = `usage: syncline token revoke <id> [--url URL] [--token TOKEN]

Revokes one of your account's API tokens (its id, from \`syncline token list\`): requests with it
get 401 from then on, and live connections opened with it are closed. Revoking a revoked token
succeeds and changes nothing.

options:
${CONNECTION_USAGE}
  -h, --help           show this help

exit status: 0 when revoked, 1 on failure (an id the account has no token with, too), 2 on wrong arguments`;

const apiToken = z.object({ id: z.string(), name: z.string(), prefix: z.string(), created_at: z.string(), revoked_at: z.string().nullable() });
const createdToken = apiToken.extend({ token: z.string() });
type CreatedToken = z.infer<typeof createdToken>;

const ROOT_TOKEN_NAME = 'root token (cli)';

function printCreated(created: CreatedToken, json: boolean, what: string): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(created)}\n`);
  } else {
    process.stdout.write(`${created.token}\n`);
    process.stderr.write(`created ${what} ${created.id} "${created.name}": its secret, above, is shown once\n`);
  }
}

async function create(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    { args, options: { ...HELP_OPTION, ...CONNECTION_OPTIONS, name: { type: 'string' }, root: { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true },
    createUsage,
  );
  if (values.help) {
    process.stdout.write(`${createUsage}\n`);
    return 0;
  }
  noMoreThan(positionals, 0, createUsage);
  if (values.name !== undefined && values.name.trim() === '') throw new UsageError('--name must not be empty', createUsage);
  if (values.root) {
    if (values.url !== undefined || values.token !== undefined) throw new UsageError('--root opens the database, not a server: --url and --token do not apply', createUsage);
    printCreated(await createRootToken(values.name ?? ROOT_TOKEN_NAME), values.json ?? false, 'root token');
    return 0;
  }
  const api = new ApiClient(serverConnection(values, process.env, createUsage));
  const created = await api.request('POST', '/v1/api-tokens', createdToken, values.name === undefined ? {} : { name: values.name });
  printCreated(created, values.json ?? false, 'API token');
  return 0;
}

/** `--root`: through createApiToken, as POST /v1/api-tokens does, with the operator at the database as root. */
async function createRootToken(name: string): Promise<CreatedToken> {
  const { loadConfig } = await import('../../config.ts');
  const { commandLogger, describeDatabase, openStorage, operatorContext } = await import('../database-session.ts');
  const { createApiToken, ROOT_ACCOUNT_ID } = await import('../../commands/accounts.ts');
  const { presentApiToken } = await import('../../queries/api-tokens.ts');
  const config = loadConfig();
  const where = describeDatabase(config);
  process.stderr.write(`database: ${where}\n`);
  const logger = commandLogger();
  const storage = await openStorage(config, { mustExist: true, logger });
  try {
    const operator = await operatorContext(storage, config, logger);
    try {
      const { ctx } = operator;
      const root = await ctx.prisma.account.findUnique({ where: { id: ROOT_ACCOUNT_ID } });
      if (!root) throw new CommandFailure(`the ${where} has no root account yet: start the server once (it prints a root token), or set SYNCLINE_API_TOKEN`);
      // No token authenticated this: whoever reaches the database is root. createApiToken records no author.
      const issued = await createApiToken(ctx, { accountId: ROOT_ACCOUNT_ID, tokenId: 'syncline-cli', isRoot: true }, { name });
      const row = await ctx.prisma.apiToken.findUniqueOrThrow({ where: { id: issued.tokenId } });
      return { ...presentApiToken(row), token: issued.token };
    } finally {
      await operator.close();
    }
  } finally {
    await storage.close();
  }
}

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args, options: { ...HELP_OPTION, ...CONNECTION_OPTIONS, json: { type: 'boolean' } }, allowPositionals: true }, listUsage);
  if (values.help) {
    process.stdout.write(`${listUsage}\n`);
    return 0;
  }
  noMoreThan(positionals, 0, listUsage);
  const api = new ApiClient(serverConnection(values, process.env, listUsage));
  const tokens = await api.listAll('/v1/api-tokens', apiToken);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(tokens)}\n`);
  } else {
    const rows = tokens.map((t) => [t.id, t.name, t.prefix, t.created_at, t.revoked_at ?? NONE]);
    process.stdout.write(`${table(['ID', 'NAME', 'PREFIX', 'CREATED', 'REVOKED'], rows)}\n`);
  }
  return 0;
}

async function revoke(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({ args, options: { ...HELP_OPTION, ...CONNECTION_OPTIONS }, allowPositionals: true }, revokeUsage);
  if (values.help) {
    process.stdout.write(`${revokeUsage}\n`);
    return 0;
  }
  const id = positionals[0];
  if (id === undefined) throw new UsageError('missing the id of the token to revoke', revokeUsage);
  noMoreThan(positionals, 1, revokeUsage);
  const api = new ApiClient(serverConnection(values, process.env, revokeUsage));
  await api.request('DELETE', `/v1/api-tokens/${encodeURIComponent(id)}`, z.undefined());
  process.stdout.write(`revoked API token ${id}\n`);
  return 0;
}

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<number>> = { create, list, revoke };

export async function run(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '-h' || subcommand === '--help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (subcommand === undefined) throw new UsageError('missing subcommand: create, list or revoke', usage);
  const handler = SUBCOMMANDS[subcommand];
  if (!handler) throw new UsageError(`unknown subcommand "${subcommand}" (create, list or revoke)`, usage);
  return handler(rest);
}
