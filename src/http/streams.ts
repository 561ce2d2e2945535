import { parseInput } from '../commands/parse-input.ts';
import { createStream, createStreamInput, deleteStream } from '../commands/streams.ts';
import { pageInput } from '../queries/pagination.ts';
import { getStream, listStreams } from '../queries/streams.ts';
import { streamPage, streamView } from './openapi/responses.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

export function streamRoutes(routes: RestRoutes): void {
  routes.on(
    'POST',
    '/v1/streams',
    {
      summary: 'Create a stream',
      body: createStreamInput,
      answers: { 201: { description: 'the stream', body: streamView } },
      errors: { 409: '`stream_name_taken`' },
    },
    async (req) => {
      const id = await createStream(req.ctx, req.principal, parseInput(createStreamInput, req.body));
      return ok(await getStream(req.ctx, req.principal, id), 201);
    },
  );
  routes.on(
    'GET',
    '/v1/streams',
    { summary: 'List streams', query: pageInput, answers: { 200: { description: 'a page of streams', body: streamPage } } },
    async (req) => ok(await listStreams(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
  );
  routes.on('GET', '/v1/streams/:id', { summary: 'Get a stream', answers: { 200: { description: 'the stream', body: streamView } } }, async (req) =>
    ok(await getStream(req.ctx, req.principal, idParam(req, 'stream'))),
  );
  routes.on(
    'DELETE',
    '/v1/streams/:id',
    { summary: 'Delete a stream', answers: { 204: { description: 'deleted' } }, errors: { 409: '`stream_not_empty`: delete its syncs first' } },
    async (req) => {
      await deleteStream(req.ctx, req.principal, idParam(req, 'stream'));
      return noContent();
    },
  );
}
