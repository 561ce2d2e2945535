import { z } from 'zod';
import { parseInput } from '../commands/parse-input.ts';
import { resetInput } from '../commands/consumer-selection.ts';
import {
  createHttpConsumer,
  createHttpConsumerInput,
  deleteHttpConsumer,
  resetHttpConsumer,
  updateHttpConsumer,
  updateHttpConsumerInput,
} from '../commands/http-consumers.ts';
import { ack, nack } from '../consumers/http/ack.ts';
import { ackInput, nackInput, nextInput } from '../consumers/http/delivery-input.ts';
import { findHttpConsumer } from '../consumers/http/find-consumer.ts';
import { receive } from '../consumers/http/receive.ts';
import { deliveredJson, getHttpConsumer, listHttpConsumers, messageHistory } from '../queries/http-consumers.ts';
import { isUuid } from '../ids.ts';
import { pageInput } from '../queries/pagination.ts';
import { ackView, compatAckView, httpConsumerPage, httpConsumerView, messageHistoryView, nackView, nextView, receiveView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { noContent, ok, okJson, queryObject, type RestRequest, type RestRoutes, type RouteSpec } from './rest.ts';

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

const consumerRef = z.string().meta({ description: "the consumer's id or name" });
const byId = z.object({ id: consumerRef });
const byRef = z.object({ ref: consumerRef });
const countHeadersSchema = z.object({
  'x-num-pending': z.string().regex(/^\d+$/).meta({ description: 'messages not yet delivered: fewer than asked does not mean the consumer is drained' }),
  'x-num-ack-pending': z.string().regex(/^\d+$/).meta({ description: 'messages delivered and not yet acked' }),
});
/** `ack_tokens` or `ack_ids`, exactly one of them (delivery-input.ts). */
const oneSpelling = { oneOf: [{ required: ['ack_tokens'] }, { required: ['ack_ids'] }] };
const ackBody = ackInput.meta({ override: oneSpelling });
const nackBody = nackInput.meta({ override: oneSpelling });
const createConsumerBody = restSchema(createHttpConsumerInput);
const updateConsumerBody = restSchema(updateHttpConsumerInput);
const resetBody = restSchema(resetInput);
const consumerTargets =
  '`stream_required`, `stream_not_found`, `sync_not_found`, `sync_not_in_stream`, `unknown_collection`, `unknown_provider`, `collection_not_of_provider`, `invalid_start_position`';
const resetSpec = {
  description:
    'Delivery starts again at the position `deliver_policy` names (`all`: the stream\'s start; `new`: its head now; `by_start_time` with `opt_start_time`; `by_start_idx` with `opt_start_idx`): back, records are delivered again; ahead, they are skipped. Messages in flight are dropped: their acks answer as invalid tokens. The reset is an event in the consumer\'s history.',
  body: resetBody,
  answers: { 200: { description: 'the consumer, with its counts', body: httpConsumerView } },
  errors: { 422: '`invalid_start_position`' },
} satisfies Partial<RouteSpec>;

/** A delivery route: no command runs (no 409), the consumer named by id or name. */
const delivery = (params: z.ZodObject, spec: Omit<RouteSpec, 'command' | 'params'>): RouteSpec => ({ ...spec, params, command: false });

export function httpConsumerRoutes(routes: RestRoutes): void {
  routes.on(
    'POST',
    '/v1/http-consumers',
    {
      summary: 'Create an HTTP pull consumer',
      body: createConsumerBody,
      answers: { 201: { description: 'the consumer, with its counts', body: httpConsumerView } },
      errors: { 409: '`consumer_name_taken`', 422: `${consumerTargets}, \`quota_exceeded\`` },
    },
    async (req) => {
      const id = await restCommand(createHttpConsumerInput, req.body, (input) => createHttpConsumer(req.ctx, req.principal, input));
      return ok(await getHttpConsumer(req.ctx, req.principal, id), 201);
    },
  );
  routes.on(
    'GET',
    '/v1/http-consumers',
    { summary: 'List HTTP pull consumers', query: pageInput, answers: { 200: { description: 'a page of consumers', body: httpConsumerPage } } },
    async (req) => ok(await listHttpConsumers(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
  );
  routes.on(
    'GET',
    '/v1/http-consumers/:id',
    { summary: 'Get an HTTP pull consumer', params: byId, answers: { 200: { description: 'the consumer, with its counts', body: httpConsumerView } } },
    async (req) => ok(await getHttpConsumer(req.ctx, req.principal, await consumerId(req))),
  );
  routes.on(
    'PATCH',
    '/v1/http-consumers/:id',
    {
      summary: 'Change an HTTP pull consumer',
      params: byId,
      body: updateConsumerBody,
      answers: { 200: { description: 'the consumer', body: httpConsumerView } },
      errors: { 409: '`consumer_name_taken`' },
    },
    async (req) => {
      const id = await consumerId(req);
      await restCommand(updateHttpConsumerInput, req.body, (patch) => updateHttpConsumer(req.ctx, req.principal, id, patch));
      return ok(await getHttpConsumer(req.ctx, req.principal, id));
    },
  );
  routes.on('DELETE', '/v1/http-consumers/:id', { summary: 'Delete an HTTP pull consumer', params: byId, answers: { 204: { description: 'deleted' } } }, async (req) => {
    await deleteHttpConsumer(req.ctx, req.principal, await consumerId(req));
    return noContent();
  });
  routes.on('POST', '/v1/http-consumers/:id/reset', { summary: 'Reset where an HTTP pull consumer delivers from', params: byId, ...resetSpec }, async (req) => {
    const id = await consumerId(req);
    await restCommand(resetInput, req.body, (input) => resetHttpConsumer(req.ctx, req.principal, id, input));
    return ok(await getHttpConsumer(req.ctx, req.principal, id));
  });
  routes.on(
    ['POST', 'GET'],
    '/v1/http-consumers/:id/next',
    delivery(byId, {
      summary: 'Receive the next messages',
      description: 'Leases up to `batch_size` messages (past the first, at most SYNCLINE_MAX_ANSWER_BYTES of records); `wait_for` long-polls when none is pending. POST takes the parameters as a body, or as the query when it has none.',
      query: nextInput,
      body: nextInput,
      bodyOptional: true,
      answers: { 200: { description: 'the messages leased (none: `[]`)', body: nextView, headers: countHeadersSchema } },
    }),
    async (req) => {
      const { delivered, counts } = await next(req, req.params.id ?? '');
      return okJson(deliveredJson(delivered, 'ack_token'), countHeaders(counts));
    },
  );
  routes.on(
    'POST',
    '/v1/http-consumers/:id/ack',
    delivery(byId, { summary: 'Ack messages', body: ackBody, answers: { 200: { description: 'how many were acked, and the tokens that were not', body: ackView } } }),
    async (req) => {
      const input = parseInput(ackInput, req.body);
      const consumer = await findHttpConsumer(req.ctx, req.principal, req.params.id ?? '');
      const result = await ack(req.ctx, consumer, input.ack_tokens);
      return ok({ acked: result.acked.length, invalid_ack_tokens: result.invalid } satisfies z.output<typeof ackView>);
    },
  );
  routes.on(
    'POST',
    '/v1/http-consumers/:id/nack',
    delivery(byId, {
      summary: 'Nack messages',
      description: 'They are delivered again after `delay_ms`.',
      body: nackBody,
      answers: { 200: { description: 'how many were nacked, and the tokens that were not', body: nackView } },
    }),
    async (req) => {
      const input = parseInput(nackInput, req.body);
      const consumer = await findHttpConsumer(req.ctx, req.principal, req.params.id ?? '');
      const result = await nack(req.ctx, consumer, input.ack_tokens, input.delay_ms);
      return ok({ nacked: result.acked.length, invalid_ack_tokens: result.invalid } satisfies z.output<typeof nackView>);
    },
  );
  routes.on(
    'GET',
    '/v1/http-consumers/:id/messages/:upstreamId',
    delivery(z.object({ id: consumerRef, upstreamId: z.string().meta({ description: "the record's id upstream" }) }), {
      summary: "A message's leases and delivery history",
      answers: { 200: { description: 'its leases and history', body: messageHistoryView } },
    }),
    async (req) => ok(await messageHistory(req.ctx, req.principal, await consumerId(req), req.params.upstreamId ?? '')),
  );

  // Compatibility with Sequin's later pull API (DESIGN.md §6): consumers by id or name.
  routes.on(
    ['POST', 'GET'],
    '/api/http_pull_consumers/:ref/receive',
    delivery(byRef, {
      summary: 'Receive the next messages (Sequin-compatible)',
      description: 'As `/v1/http-consumers/{id}/next`, the messages under `data`.',
      query: nextInput,
      body: nextInput,
      bodyOptional: true,
      answers: { 200: { description: 'the messages leased', body: receiveView, headers: countHeadersSchema } },
    }),
    async (req) => {
      const { delivered, counts } = await next(req, req.params.ref ?? '');
      return okJson(`{"data":${deliveredJson(delivered, 'ack_id')}}`, countHeaders(counts));
    },
  );
  routes.on(
    'POST',
    '/api/http_pull_consumers/:ref/ack',
    delivery(byRef, { summary: 'Ack messages (Sequin-compatible)', body: ackBody, answers: { 200: { description: 'acked (unknown tokens are ignored)', body: compatAckView } } }),
    async (req) => {
      const input = parseInput(ackInput, req.body);
      await ack(req.ctx, await findHttpConsumer(req.ctx, req.principal, req.params.ref ?? ''), input.ack_tokens);
      return ok({ success: true } satisfies z.output<typeof compatAckView>);
    },
  );
  routes.on(
    'POST',
    '/api/http_pull_consumers/:ref/nack',
    delivery(byRef, { summary: 'Nack messages (Sequin-compatible)', body: nackBody, answers: { 200: { description: 'nacked', body: compatAckView } } }),
    async (req) => {
      const input = parseInput(nackInput, req.body);
      await nack(req.ctx, await findHttpConsumer(req.ctx, req.principal, req.params.ref ?? ''), input.ack_tokens, input.delay_ms);
      return ok({ success: true } satisfies z.output<typeof compatAckView>);
    },
  );
  routes.on(
    'POST',
    '/api/http_pull_consumers/:ref/reset',
    { summary: 'Reset where a consumer delivers from (beside the Sequin-compatible routes)', params: byRef, ...resetSpec },
    async (req) => {
      const { id } = await findHttpConsumer(req.ctx, req.principal, req.params.ref ?? '');
      await restCommand(resetInput, req.body, (input) => resetHttpConsumer(req.ctx, req.principal, id, input));
      return ok(await getHttpConsumer(req.ctx, req.principal, id));
    },
  );
}
