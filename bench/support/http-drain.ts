import type { RestClient } from '../../test/support/api.ts';

/**
 * `workers` loops of `/next` (batch `batch`) + `/ack` on one HTTP consumer until `expected`
 * messages were delivered, worker i talking to `apis[i mod n]` (one server or several instances).
 */
export async function drainHttpConsumer(
  apis: RestClient[],
  consumerId: string,
  expected: number,
  { workers, batch }: { workers: number; batch: number },
): Promise<{ delivered: number; seconds: number }> {
  let delivered = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      const api = apis[worker % apis.length]!;
      for (;;) {
        const next = await api.post(`/v1/http-consumers/${consumerId}/next`, { batch_size: batch });
        if (next.status !== 200) throw new Error(`next: ${next.status} ${JSON.stringify(next.body)}`);
        const messages = next.body as { ack_token: string }[];
        if (messages.length === 0) {
          if (delivered >= expected) return;
          continue;
        }
        delivered += messages.length;
        await api.post(`/v1/http-consumers/${consumerId}/ack`, { ack_tokens: messages.map((m) => m.ack_token) });
      }
    }),
  );
  return { delivered, seconds: (performance.now() - started) / 1000 };
}
