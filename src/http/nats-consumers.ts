import { resetInput } from '../commands/consumer-selection.ts';
import {
  createNatsConsumer,
  createNatsConsumerInput,
  deleteNatsConsumer,
  resetNatsConsumer,
  updateNatsConsumer,
  updateNatsConsumerInput,
} from '../commands/nats-consumers.ts';
import { getNatsConsumer, listNatsConsumers } from '../queries/nats-consumers.ts';
import { pageInput } from '../queries/pagination.ts';
import { parseInput } from '../commands/parse-input.ts';
import { natsConsumerPage, natsConsumerView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes, type RouteSpec } from './rest.ts';

const createBody = restSchema(createNatsConsumerInput);
const updateBody = restSchema(updateNatsConsumerInput);
const resetBody = restSchema(resetInput);
const invalidSettings = '`invalid_nats_config`, `egress_refused`';
const selectionErrors =
  '`stream_required`, `stream_not_found`, `sync_not_found`, `sync_not_in_stream`, `unknown_collection`, `unknown_provider`, `collection_not_of_provider`, `invalid_start_position`';

/** `/v1/nats_consumers` (the seed's path) and `/v1/nats-consumers` (this API's style) are the same routes. */
export function natsConsumerRoutes(routes: RestRoutes): void {
  for (const [base, alias] of [['/v1/nats_consumers', ''], ['/v1/nats-consumers', 'Alias']] as const) {
    // The alias is documented as a route of its own (clients call either), with its own operation ids.
    const named = (operationId: string, spec: RouteSpec): RouteSpec => ({ ...spec, operationId: operationId + alias, ...(alias ? { description: `${spec.description ?? ''} Same as \`/v1/nats_consumers\`.`.trim() } : {}) });
    routes.on(
      'POST',
      base,
      named('createNatsConsumer', {
        summary: 'Create a NATS consumer',
        description: 'Publishes the stream (or the records of one sync, collections or provider of it) to a NATS server, from the start position `deliver_policy` names; secrets are sealed and answered as hints.',
        body: createBody,
        answers: { 201: { description: 'the consumer, with its publisher\'s status', body: natsConsumerView } },
        errors: { 409: '`consumer_name_taken`', 422: `${selectionErrors}, \`quota_exceeded\`, ${invalidSettings}` },
      }),
      async (req) => {
        const id = await restCommand(createNatsConsumerInput, req.body, (input) => createNatsConsumer(req.ctx, req.principal, input));
        return ok(await getNatsConsumer(req.ctx, req.principal, id), 201);
      },
    );
    routes.on(
      'GET',
      base,
      named('listNatsConsumers', { summary: 'List NATS consumers', query: pageInput, answers: { 200: { description: 'a page of consumers', body: natsConsumerPage } } }),
      async (req) => ok(await listNatsConsumers(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
    );
    routes.on(
      'GET',
      `${base}/:id`,
      named('getNatsConsumer', { summary: 'Get a NATS consumer', answers: { 200: { description: 'the consumer, with its publisher\'s status', body: natsConsumerView } } }),
      async (req) => ok(await getNatsConsumer(req.ctx, req.principal, idParam(req, 'nats consumer'))),
    );
    routes.on(
      'PATCH',
      `${base}/:id`,
      named('updateNatsConsumer', {
        summary: 'Change a NATS consumer',
        description: 'The `nats` fields given replace the stored ones (`null` removes a secret or the user); the stream, the filter and the start are fixed at creation (`…/reset` moves the start).',
        body: updateBody,
        answers: { 200: { description: 'the consumer', body: natsConsumerView } },
        errors: { 409: '`consumer_name_taken`', 422: invalidSettings },
      }),
      async (req) => {
        const id = idParam(req, 'nats consumer');
        await restCommand(updateNatsConsumerInput, req.body, (patch) => updateNatsConsumer(req.ctx, req.principal, id, patch));
        return ok(await getNatsConsumer(req.ctx, req.principal, id));
      },
    );
    routes.on(
      'POST',
      `${base}/:id/reset`,
      named('resetNatsConsumer', {
        summary: 'Reset where a NATS consumer publishes from',
        description:
          'Publishing starts again at the position `deliver_policy` names (`all`: the stream\'s start; `new`: its head now; `by_start_time` with `opt_start_time`; `by_start_idx` with `opt_start_idx`): back, records are published again; ahead, they are skipped. The reset is an event in the consumer\'s history; `reset_count` counts them.',
        body: resetBody,
        answers: { 200: { description: 'the consumer', body: natsConsumerView } },
        errors: { 422: '`invalid_start_position`' },
      }),
      async (req) => {
        const id = idParam(req, 'nats consumer');
        await restCommand(resetInput, req.body, (input) => resetNatsConsumer(req.ctx, req.principal, id, input));
        return ok(await getNatsConsumer(req.ctx, req.principal, id));
      },
    );
    routes.on('DELETE', `${base}/:id`, named('deleteNatsConsumer', { summary: 'Delete a NATS consumer', answers: { 204: { description: 'deleted' } } }), async (req) => {
      await deleteNatsConsumer(req.ctx, req.principal, idParam(req, 'nats consumer'));
      return noContent();
    });
  }
}
