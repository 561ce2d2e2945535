import { parseInput } from '../commands/parse-input.ts';
import { createOAuthApp, createOAuthAppInput, deleteOAuthApp } from '../commands/oauth-apps.ts';
import { getOAuthApp, listOAuthApps } from '../queries/oauth-apps.ts';
import { pageInput } from '../queries/pagination.ts';
import { restCommand } from './rest-input.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

export function oauthAppRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/oauth-apps', async (req) => {
    const id = await restCommand(createOAuthAppInput, req.body, (input) => createOAuthApp(req.ctx, req.principal, input));
    return ok(await getOAuthApp(req.ctx, req.principal, id), 201);
  });
  routes.on('GET', '/v1/oauth-apps', async (req) => ok(await listOAuthApps(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))));
  routes.on('GET', '/v1/oauth-apps/:id', async (req) => ok(await getOAuthApp(req.ctx, req.principal, idParam(req, 'oauth app'))));
  routes.on('DELETE', '/v1/oauth-apps/:id', async (req) => {
    await deleteOAuthApp(req.ctx, req.principal, idParam(req, 'oauth app'));
    return noContent();
  });
}
