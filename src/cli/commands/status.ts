import { z } from 'zod';
import { ApiClient, ApiRefusal, CONNECTION_OPTIONS, CONNECTION_USAGE, serverConnection } from '../api-client.ts';
import { HELP_OPTION, noMoreThan, parseCommandArgs } from '../args.ts';
import { NONE, table } from '../table.ts';

export const usage = `usage: syncline status [--json] [--all-accounts] [--url URL] [--token TOKEN]

Shows every sync and consumer of your token's account, from a running server's REST API: one
line per sync (name, provider, state, backfill progress, records, last error code) and one per
consumer (HTTP: pending, awaiting ack, dead; NATS: lag behind the stream, connection state).

Sync states: backfilling, active, paused, error. Exits 1 when any sync is in error (after
printing everything), so a script or a health check can rely on the exit status alone.

options:
  --json               print {"syncs": [...], "consumers": [...], "syncs_in_error": N}
  --all-accounts       the syncs of every account (root token only); consumers stay your account's
${CONNECTION_USAGE}
  -h, --help           show this help

exit status: 0 when no sync is in error, 1 when one is (or on failure), 2 on wrong arguments`;

const syncListItem = z.object({ id: z.string(), account_id: z.string(), name: z.string(), provider: z.string(), state: z.string() });
const syncStatus = z.object({
  state: z.string(),
  last_error: z.object({ code: z.string(), message: z.string(), collection_id: z.string().nullable(), at: z.string() }).nullable(),
  collections: z.array(
    z.object({
      collection_id: z.string(),
      records: z.number(),
      backfill: z.object({ done: z.boolean(), percent: z.number().nullable() }),
    }),
  ),
});
const httpConsumer = z.object({ id: z.string(), name: z.string(), num_pending: z.number(), num_ack_pending: z.number(), num_dead: z.number() });
const natsConsumer = z.object({
  id: z.string(),
  name: z.string(),
  lag: z.number(),
  connection_state: z.string(),
  last_error: z.object({ message: z.string(), at: z.string() }).nullable(),
});

/** Status requests in flight at once: enough to be quick over many syncs, few enough to spare the server. */
const CONCURRENCY = 8;

interface SyncLine {
  id: string;
  account_id: string;
  name: string;
  provider: string;
  state: string;
  /** Over the sync's collections: 100 when all are done, null while a total is unknown. */
  backfill_percent: number | null;
  records: number;
  last_error: z.infer<typeof syncStatus>['last_error'];
  collections: { collection_id: string; records: number; backfill_done: boolean; backfill_percent: number | null }[];
}

type ConsumerLine =
  | ({ kind: 'http' } & z.infer<typeof httpConsumer>)
  | ({ kind: 'nats' } & z.infer<typeof natsConsumer>);

function backfillPercent(collections: z.infer<typeof syncStatus>['collections']): number | null {
  if (collections.every((c) => c.backfill.done)) return 100;
  const percents = collections.map((c) => (c.backfill.done ? 100 : c.backfill.percent));
  if (percents.some((p) => p === null)) return null;
  return Math.round((10 * (percents as number[]).reduce((sum, p) => sum + p, 0)) / percents.length) / 10;
}

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function syncLines(api: ApiClient, allAccounts: boolean): Promise<SyncLine[]> {
  const syncs = await api.listAll(allAccounts ? '/v1/syncs?account_id=all' : '/v1/syncs', syncListItem);
  const lines = await mapConcurrently(syncs, CONCURRENCY, async (sync): Promise<SyncLine | null> => {
    let status: z.infer<typeof syncStatus>;
    try {
      status = await api.request('GET', `/v1/syncs/${sync.id}/status`, syncStatus);
    } catch (error) {
      if (error instanceof ApiRefusal && error.status === 404) return null; // deleted since the listing
      throw error;
    }
    return {
      ...sync,
      state: status.state,
      backfill_percent: backfillPercent(status.collections),
      records: status.collections.reduce((sum, c) => sum + c.records, 0),
      last_error: status.last_error,
      collections: status.collections.map((c) => ({ collection_id: c.collection_id, records: c.records, backfill_done: c.backfill.done, backfill_percent: c.backfill.done ? 100 : c.backfill.percent })),
    };
  });
  return lines.filter((line): line is SyncLine => line !== null);
}

async function consumerLines(api: ApiClient): Promise<ConsumerLine[]> {
  const [http, nats] = await Promise.all([api.listAll('/v1/http-consumers', httpConsumer), api.listAll('/v1/nats-consumers', natsConsumer)]);
  return [...http.map((c) => ({ kind: 'http' as const, ...c })), ...nats.map((c) => ({ kind: 'nats' as const, ...c }))];
}

function printTables(syncs: SyncLine[], consumers: ConsumerLine[], allAccounts: boolean): void {
  const syncRows = syncs.map((s) => [
    ...(allAccounts ? [s.account_id] : []),
    s.name,
    s.provider,
    s.state,
    s.backfill_percent === null ? `${s.collections.filter((c) => c.backfill_done).length}/${s.collections.length} done` : `${s.backfill_percent}%`,
    String(s.records),
    s.last_error?.code ?? NONE,
    s.id,
  ]);
  const syncHeader = [...(allAccounts ? ['ACCOUNT'] : []), 'SYNC', 'PROVIDER', 'STATE', 'BACKFILL', 'RECORDS', 'LAST ERROR', 'ID'];
  const consumerRows = consumers.map((c) =>
    c.kind === 'http'
      ? [c.name, c.kind, String(c.num_pending), String(c.num_ack_pending), String(c.num_dead), NONE, NONE]
      : [c.name, c.kind, NONE, NONE, NONE, String(c.lag), c.last_error ? `${c.connection_state}: ${c.last_error.message}` : c.connection_state],
  );
  const consumerHeader = ['CONSUMER', 'KIND', 'PENDING', 'ACK PENDING', 'DEAD', 'LAG', 'STATE'];
  process.stdout.write(`${syncs.length === 0 ? 'no syncs' : table(syncHeader, syncRows)}\n\n`);
  process.stdout.write(`${consumers.length === 0 ? 'no consumers' : table(consumerHeader, consumerRows)}\n`);
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    { args, options: { ...HELP_OPTION, ...CONNECTION_OPTIONS, json: { type: 'boolean' }, 'all-accounts': { type: 'boolean' } }, allowPositionals: true },
    usage,
  );
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  noMoreThan(positionals, 0, usage);
  const api = new ApiClient(serverConnection(values, process.env, usage));
  const allAccounts = values['all-accounts'] ?? false;
  const [syncs, consumers] = await Promise.all([syncLines(api, allAccounts), consumerLines(api)]);
  const inError = syncs.filter((s) => s.state === 'error');
  if (values.json) process.stdout.write(`${JSON.stringify({ syncs, consumers, syncs_in_error: inError.length })}\n`);
  else printTables(syncs, consumers, allAccounts);
  if (inError.length === 0) return 0;
  const names = inError.map((s) => `${s.name} (${s.last_error?.code ?? 'error'})`).join(', ');
  process.stderr.write(`${inError.length} sync${inError.length === 1 ? '' : 's'} in error: ${names}\n`);
  return 1;
}
