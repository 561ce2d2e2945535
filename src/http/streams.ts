import { parseInput } from '../commands/parse-input.ts';
import { createStream, createStreamInput, deleteStream } from '../commands/streams.ts';
import { pageInput } from '../queries/pagination.ts';
import { getStream, listStreams } from '../queries/streams.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

export function streamRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/streams', async (req) => {
    const id = await createStream(req.ctx, req.principal, parseInput(createStreamInput, req.body));
    return ok(await getStream(req.ctx, req.principal, id), 201);
  });
  routes.on('GET', '/v1/streams', async (req) => ok(await listStreams(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))));
  routes.on('GET', '/v1/streams/:id', async (req) => ok(await getStream(req.ctx, req.principal, idParam(req, 'stream'))));
  routes.on('DELETE', '/v1/streams/:id', async (req) => {
    await deleteStream(req.ctx, req.principal, idParam(req, 'stream'));
    return noContent();
  });
}
