import { createNatsConsumer, createNatsConsumerInput, deleteNatsConsumer, updateNatsConsumer, updateNatsConsumerInput } from '../commands/nats-consumers.ts';
import { getNatsConsumer, listNatsConsumers } from '../queries/nats-consumers.ts';
import { pageInput } from '../queries/pagination.ts';
import { parseInput } from '../commands/parse-input.ts';
import { restCommand } from './rest-input.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

/** `/v1/nats_consumers` (the seed's path) and `/v1/nats-consumers` (this API's style) are the same routes. */
export function natsConsumerRoutes(routes: RestRoutes): void {
  for (const base of ['/v1/nats_consumers', '/v1/nats-consumers']) {
    routes.on('POST', base, async (req) => {
      const id = await restCommand(createNatsConsumerInput, req.body, (input) => createNatsConsumer(req.ctx, req.principal, input));
      return ok(await getNatsConsumer(req.ctx, req.principal, id), 201);
    });
    routes.on('GET', base, async (req) => ok(await listNatsConsumers(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))));
    routes.on('GET', `${base}/:id`, async (req) => ok(await getNatsConsumer(req.ctx, req.principal, idParam(req, 'nats consumer'))));
    routes.on('PATCH', `${base}/:id`, async (req) => {
      const id = idParam(req, 'nats consumer');
      await restCommand(updateNatsConsumerInput, req.body, (patch) => updateNatsConsumer(req.ctx, req.principal, id, patch));
      return ok(await getNatsConsumer(req.ctx, req.principal, id));
    });
    routes.on('DELETE', `${base}/:id`, async (req) => {
      await deleteNatsConsumer(req.ctx, req.principal, idParam(req, 'nats consumer'));
      return noContent();
    });
  }
}
