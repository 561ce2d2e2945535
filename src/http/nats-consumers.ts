import { createNatsConsumer, createNatsConsumerInput, deleteNatsConsumer, updateNatsConsumer, updateNatsConsumerInput } from '../commands/nats-consumers.ts';
import { getNatsConsumer, listNatsConsumers } from '../queries/nats-consumers.ts';
import { pageInput } from '../queries/pagination.ts';
import { parseInput } from '../commands/parse-input.ts';
import { natsConsumerPage, natsConsumerView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes, type RouteSpec } from './rest.ts';

const createBody = restSchema(createNatsConsumerInput);
const updateBody = restSchema(updateNatsConsumerInput);
const invalidSettings = '`invalid_nats_config`, `egress_refused`';

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
        description: 'Publishes the stream (or one sync of it) to a NATS server; secrets are sealed and answered as hints.',
        body: createBody,
        answers: { 201: { description: 'the consumer, with its publisher\'s status', body: natsConsumerView } },
        errors: { 409: '`consumer_name_taken`', 422: `\`stream_required\`, \`stream_not_found\`, \`sync_not_found\`, \`sync_not_in_stream\`, \`quota_exceeded\`, ${invalidSettings}` },
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
        description: 'The `nats` fields given replace the stored ones (`null` removes a secret or the user); stream, sync and delivery policy are fixed at creation.',
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
    routes.on('DELETE', `${base}/:id`, named('deleteNatsConsumer', { summary: 'Delete a NATS consumer', answers: { 204: { description: 'deleted' } } }), async (req) => {
      await deleteNatsConsumer(req.ctx, req.principal, idParam(req, 'nats consumer'));
      return noContent();
    });
  }
}
