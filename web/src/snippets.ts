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
