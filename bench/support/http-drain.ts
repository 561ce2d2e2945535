import http from 'node:http';

/**
 * `workers` loops of `/next` (batch `batch`) + `/ack` on one HTTP consumer until `expected`
 * messages were delivered, worker i talking to `serverUrls[i mod n]` (one server or several
 * instances). Each worker parses every answer, as a consumer does.
 *
 * The workers use node:http with keep-alive rather than `fetch`: on 2 cores the bench's own
 * client shares the CPU with the server and PostgreSQL, and `fetch` (WHATWG streams) cost ~2×
 * the CPU per message of a plain request (docs/BENCHMARKS.md). The JetStream baseline uses
 * nats.js, its own lean client, in the same way.
 */
export async function drainHttpConsumer(
  serverUrls: string[],
  token: string,
  consumerId: string,
  expected: number,
  { workers, batch }: { workers: number; batch: number },
): Promise<{ delivered: number; seconds: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  let delivered = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        const post = jsonPoster(serverUrls[worker % serverUrls.length]!, token, agent);
        for (;;) {
          const next = await post(`/v1/http-consumers/${consumerId}/next`, { batch_size: batch });
          if (next.status !== 200) throw new Error(`next: ${next.status} ${JSON.stringify(next.body)}`);
          const messages = next.body as { ack_token: string }[];
          if (messages.length === 0) {
            if (delivered >= expected) return;
            continue;
          }
          delivered += messages.length;
          const ack = await post(`/v1/http-consumers/${consumerId}/ack`, { ack_tokens: messages.map((m) => m.ack_token) });
          if (ack.status !== 200) throw new Error(`ack: ${ack.status} ${JSON.stringify(ack.body)}`);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { delivered, seconds: (performance.now() - started) / 1000 };
}

function jsonPoster(baseUrl: string, token: string, agent: http.Agent) {
  const { hostname, port } = new URL(baseUrl);
  return (path: string, body: unknown) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const request = http.request(
        {
          agent,
          hostname,
          port,
          path,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            try {
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
            } catch (error) {
              reject(error);
            }
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
}
