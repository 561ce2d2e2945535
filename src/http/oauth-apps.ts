import { parseInput } from '../commands/parse-input.ts';
import { createOAuthApp, createOAuthAppInput, deleteOAuthApp } from '../commands/oauth-apps.ts';
import { getOAuthApp, listOAuthApps } from '../queries/oauth-apps.ts';
import { pageInput } from '../queries/pagination.ts';
import { oauthAppPage, oauthAppView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

const oauthAppBody = restSchema(createOAuthAppInput);

export function oauthAppRoutes(routes: RestRoutes): void {
  routes.on(
    'POST',
    '/v1/oauth-apps',
    { summary: 'Register an OAuth app', description: 'The client secret is sealed; answers show a hint.', body: oauthAppBody, answers: { 201: { description: 'the OAuth app', body: oauthAppView } } },
    async (req) => {
      const id = await restCommand(createOAuthAppInput, req.body, (input) => createOAuthApp(req.ctx, req.principal, input));
      return ok(await getOAuthApp(req.ctx, req.principal, id), 201);
    },
  );
  routes.on(
    'GET',
    '/v1/oauth-apps',
    { summary: 'List OAuth apps', query: pageInput, answers: { 200: { description: 'a page of OAuth apps', body: oauthAppPage } } },
    async (req) => ok(await listOAuthApps(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
  );
  routes.on('GET', '/v1/oauth-apps/:id', { summary: 'Get an OAuth app', answers: { 200: { description: 'the OAuth app', body: oauthAppView } } }, async (req) =>
    ok(await getOAuthApp(req.ctx, req.principal, idParam(req, 'oauth app'))),
  );
  routes.on('DELETE', '/v1/oauth-apps/:id', { summary: 'Delete an OAuth app', answers: { 204: { description: 'deleted' } } }, async (req) => {
    await deleteOAuthApp(req.ctx, req.principal, idParam(req, 'oauth app'));
    return noContent();
  });
}
