import { parseInput } from '../commands/parse-input.ts';
import { createApiToken, createApiTokenInput, revokeApiToken } from '../commands/accounts.ts';
import { listApiTokens, presentApiToken } from '../queries/api-tokens.ts';
import { pageInput } from '../queries/pagination.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

export function apiTokenRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/api-tokens', async (req) => {
    const issued = await createApiToken(req.ctx, req.principal, parseInput(createApiTokenInput, req.body));
    const row = await req.ctx.prisma.apiToken.findUniqueOrThrow({ where: { id: issued.tokenId } });
    return ok({ ...presentApiToken(row), token: issued.token }, 201);
  });
  routes.on('GET', '/v1/api-tokens', async (req) => ok(await listApiTokens(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))));
  routes.on('DELETE', '/v1/api-tokens/:id', async (req) => {
    await revokeApiToken(req.ctx, req.principal, idParam(req, 'api token'));
    return noContent();
  });
}
