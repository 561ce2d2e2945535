import { parseInput } from '../commands/parse-input.ts';
import { createHttpConsumer, createHttpConsumerInput, deleteHttpConsumer, updateHttpConsumer, updateHttpConsumerInput } from '../commands/http-consumers.ts';
import { ack, nack } from '../consumers/http/ack.ts';
import { ackInput, nackInput, nextInput } from '../consumers/http/delivery-input.ts';
import { findHttpConsumer } from '../consumers/http/find-consumer.ts';
import { receive } from '../consumers/http/receive.ts';
import { deliveredJson, getHttpConsumer, listHttpConsumers, messageHistory } from '../queries/http-consumers.ts';
import { isUuid } from '../ids.ts';
import { pageInput } from '../queries/pagination.ts';
import { restCommand } from './rest-input.ts';
import { noContent, ok, okJson, queryObject, type RestRequest, type RestRoutes } from './rest.ts';

async function next(req: RestRequest, consumerRef: string) {
  const input = parseInput(nextInput, req.body ?? queryObject(req.query), req.body ? 'request body' : 'query');
  const consumer = await findHttpConsumer(req.ctx, req.principal, consumerRef);
  return receive(req.ctx, consumer, input.batch_size, input.wait_for ?? input.wait_ms ?? 0);
}

/** `/v1/http-consumers/{id}` takes the consumer's name too, as the compatibility routes do. */
async function consumerId(req: RestRequest): Promise<string> {
  const ref = req.params.id ?? '';
  return isUuid(ref) ? ref.toLowerCase() : (await findHttpConsumer(req.ctx, req.principal, ref)).id;
}

const countHeaders = (counts: { numPending: number; numAckPending: number }) => ({
  'x-num-pending': String(counts.numPending),
  'x-num-ack-pending': String(counts.numAckPending),
});

export function httpConsumerRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/http-consumers', async (req) => {
    const id = await restCommand(createHttpConsumerInput, req.body, (input) => createHttpConsumer(req.ctx, req.principal, input));
    return ok(await getHttpConsumer(req.ctx, req.principal, id), 201);
  });
  routes.on('GET', '/v1/http-consumers', async (req) => ok(await listHttpConsumers(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))));
  routes.on('GET', '/v1/http-consumers/:id', async (req) => ok(await getHttpConsumer(req.ctx, req.principal, await consumerId(req))));
  routes.on('PATCH', '/v1/http-consumers/:id', async (req) => {
    const id = await consumerId(req);
    await restCommand(updateHttpConsumerInput, req.body, (patch) => updateHttpConsumer(req.ctx, req.principal, id, patch));
    return ok(await getHttpConsumer(req.ctx, req.principal, id));
  });
  routes.on('DELETE', '/v1/http-consumers/:id', async (req) => {
    await deleteHttpConsumer(req.ctx, req.principal, await consumerId(req));
    return noContent();
  });
  routes.on(['POST', 'GET'], '/v1/http-consumers/:id/next', async (req) => {
    const { delivered, counts } = await next(req, req.params.id ?? '');
    return okJson(deliveredJson(delivered, 'ack_token'), countHeaders(counts));
  });
  routes.on('POST', '/v1/http-consumers/:id/ack', async (req) => {
    const input = parseInput(ackInput, req.body);
    const consumer = await findHttpConsumer(req.ctx, req.principal, req.params.id ?? '');
    const result = await ack(req.ctx, consumer, input.ack_tokens);
    return ok({ acked: result.acked.length, invalid_ack_tokens: result.invalid });
  });
  routes.on('POST', '/v1/http-consumers/:id/nack', async (req) => {
    const input = parseInput(nackInput, req.body);
    const consumer = await findHttpConsumer(req.ctx, req.principal, req.params.id ?? '');
    const result = await nack(req.ctx, consumer, input.ack_tokens, input.delay_ms);
    return ok({ nacked: result.acked.length, invalid_ack_tokens: result.invalid });
  });
  routes.on('GET', '/v1/http-consumers/:id/messages/:upstreamId', async (req) =>
    ok(await messageHistory(req.ctx, req.principal, await consumerId(req), req.params.upstreamId ?? '')),
  );

  // Compatibility with Sequin's later pull API (DESIGN.md §6): consumers by id or name.
  routes.on(['POST', 'GET'], '/api/http_pull_consumers/:ref/receive', async (req) => {
    const { delivered, counts } = await next(req, req.params.ref ?? '');
    return okJson(`{"data":${deliveredJson(delivered, 'ack_id')}}`, countHeaders(counts));
  });
  routes.on('POST', '/api/http_pull_consumers/:ref/ack', async (req) => {
    const input = parseInput(ackInput, req.body);
    await ack(req.ctx, await findHttpConsumer(req.ctx, req.principal, req.params.ref ?? ''), input.ack_tokens);
    return ok({ success: true });
  });
  routes.on('POST', '/api/http_pull_consumers/:ref/nack', async (req) => {
    const input = parseInput(nackInput, req.body);
    await nack(req.ctx, await findHttpConsumer(req.ctx, req.principal, req.params.ref ?? ''), input.ack_tokens, input.delay_ms);
    return ok({ success: true });
  });
}
