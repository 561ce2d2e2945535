// A webhook receiver for Syncline's webhook consumers (docs/DELIVERY.md, "Webhook consumers"):
// it verifies each delivery's Standard Webhooks signature with the consumer's secret, prints one
// line per record, and answers 204. Run: SYNCLINE_WEBHOOK_SECRET=whsec_… PORT=8080 node examples/webhook-receiver.mjs
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.SYNCLINE_WEBHOOK_SECRET;
if (!secret?.startsWith('whsec_')) {
  console.error('set SYNCLINE_WEBHOOK_SECRET to the consumer\'s secret (whsec_…, answered once at creation)');
  process.exit(2);
}
const webhook = new Webhook(secret);
const port = Number(process.env.PORT ?? 8080);
const seen = new Set(); // webhook-ids already handled: a redelivered batch keeps its id (use a table in production)

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8'); // verify the raw body, before parsing it
    let payload;
    try {
      payload = webhook.verify(body, req.headers);
    } catch {
      console.log(`refused a delivery with a bad signature (${req.headers['webhook-id'] ?? 'no webhook-id'})`);
      return res.writeHead(401).end();
    }
    const id = req.headers['webhook-id'];
    if (!seen.has(id)) {
      seen.add(id);
      for (const record of payload.data) {
        console.log(`${id} ${record.collection_id} ${record.upstream_id} @${record.updated_idx}${record.deleted ? ' deleted' : ''}`);
      }
    }
    res.writeHead(204).end(); // any 2xx: delivered
  });
}).listen(port, '127.0.0.1', () => console.log(`receiving webhooks on http://127.0.0.1:${port}/hook`));
