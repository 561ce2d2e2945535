/** Ready-to-run code for an HTTP pull consumer, with the server's address, the consumer's id and the token. */
export interface SnippetTarget {
  origin: string;
  consumerId: string;
  token: string;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function curlNext({ origin, consumerId, token }: SnippetTarget, batchSize = 10): string {
  return [
    'curl --request POST \\',
    `  --url ${shellQuote(`${origin}/v1/http-consumers/${consumerId}/next`)} \\`,
    `  --header ${shellQuote(`Authorization: Bearer ${token}`)} \\`,
    `  --header 'Content-Type: application/json' \\`,
    `  -d '{ "batch_size": ${batchSize} }'`,
  ].join('\n');
}

export function curlAck({ origin, consumerId, token }: SnippetTarget): string {
  return [
    'curl --request POST \\',
    `  --url ${shellQuote(`${origin}/v1/http-consumers/${consumerId}/ack`)} \\`,
    `  --header ${shellQuote(`Authorization: Bearer ${token}`)} \\`,
    `  --header 'Content-Type: application/json' \\`,
    `  -d '{ "ack_tokens": ["<ack_token from /next>"] }'`,
  ].join('\n');
}

/** A Node 18+ script (no dependencies): takes one batch, handles it, acks it. */
export function nodeNextAndAck({ origin, consumerId, token }: SnippetTarget, batchSize = 10): string {
  return `const base = ${JSON.stringify(`${origin}/v1/http-consumers/${consumerId}`)};
const headers = { authorization: ${JSON.stringify(`Bearer ${token}`)}, 'content-type': 'application/json' };

const next = await fetch(\`\${base}/next\`, { method: 'POST', headers, body: JSON.stringify({ batch_size: ${batchSize} }) });
if (!next.ok) throw new Error(\`/next answered \${next.status}: \${await next.text()}\`);
const messages = await next.json();
for (const { record } of messages) {
  console.log(record.collection_id, record.upstream_id, record.deleted ? '(deleted)' : '');
}
if (messages.length > 0) {
  const ack = await fetch(\`\${base}/ack\`, { method: 'POST', headers, body: JSON.stringify({ ack_tokens: messages.map((m) => m.ack_token) }) });
  console.log('acked', (await ack.json()).acked);
}
console.log('pending', next.headers.get('x-num-pending'), 'ack pending', next.headers.get('x-num-ack-pending'));`;
}

/** A Node receiver for a webhook consumer: verifies the Standard Webhooks signature before parsing, answers 204. */
export function webhookReceiver(path: string): string {
  return `import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const wh = new Webhook(process.env.SYNCLINE_WEBHOOK_SECRET); // the whsec_… secret shown at creation

createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== ${JSON.stringify(path || '/')}) return res.writeHead(404).end();
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let payload;
    try {
      payload = wh.verify(body, req.headers);
    } catch {
      return res.writeHead(401).end('bad signature');
    }
    for (const record of payload.data) {
      // Upsert by (sync_id, collection_id, upstream_id), keeping the higher updated_idx: retries repeat a webhook-id.
      console.log(req.headers['webhook-id'], record.collection_id, record.upstream_id, record.updated_idx, record.deleted ? 'deleted' : '');
    }
    res.writeHead(204).end();
  });
}).listen(3000);`;
}

export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  sslMode: string;
  table: string;
  syncId: string | null;
  deletes: string;
}

/** psql to the consumer's database (the password is asked for, never printed). */
export function psqlCommand(target: PostgresTarget): string {
  const ssl = target.sslMode === 'disable' ? '' : ` sslmode=${target.sslMode}`;
  return `psql ${shellQuote(`host=${target.host} port=${target.port} dbname=${target.database} user=${target.user}${ssl}`)}`;
}

/** Ready-to-run reads of the consumer's table: the newest rows, and changes past a position for incremental work. */
export function postgresQueries(target: PostgresTarget): string {
  const live = target.deletes === 'mark' ? ' AND NOT deleted' : '';
  const bySync = target.syncId ? `sync_id = ${sqlString(target.syncId)}` : 'true';
  return `-- The newest rows this consumer wrote:
SELECT collection_id, upstream_id, updated_idx, deleted, upstream_updated_at, data
FROM ${target.table}
WHERE ${bySync}
ORDER BY updated_idx DESC
LIMIT 20;

-- Live records per collection:
SELECT collection_id, count(*) FROM ${target.table} WHERE ${bySync}${live} GROUP BY collection_id;

-- Incremental processing: remember the last updated_idx you handled and read past it.
SELECT * FROM ${target.table} WHERE ${bySync} AND updated_idx > 0 ORDER BY updated_idx LIMIT 1000;`;
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
