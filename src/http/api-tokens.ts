import type { z } from 'zod';
import { parseInput } from '../commands/parse-input.ts';
import { createApiToken, createApiTokenInput, revokeApiToken } from '../commands/accounts.ts';
import { listApiTokens, presentApiToken } from '../queries/api-tokens.ts';
import { pageInput } from '../queries/pagination.ts';
import { apiTokenPage, issuedApiTokenView } from './openapi/responses.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

export function apiTokenRoutes(routes: RestRoutes): void {
  routes.on(
    'POST',
    '/v1/api-tokens',
    { summary: 'Create an API token', body: createApiTokenInput, answers: { 201: { description: 'the token, its secret shown once', body: issuedApiTokenView } } },
    async (req) => {
      const issued = await createApiToken(req.ctx, req.principal, parseInput(createApiTokenInput, req.body));
      const row = await req.ctx.prisma.apiToken.findUniqueOrThrow({ where: { id: issued.tokenId } });
      return ok({ ...presentApiToken(row), token: issued.token } satisfies z.output<typeof issuedApiTokenView>, 201);
    },
  );
  routes.on(
    'GET',
    '/v1/api-tokens',
    { summary: "List the account's API tokens (no secrets)", query: pageInput, answers: { 200: { description: 'a page of tokens', body: apiTokenPage } } },
    async (req) => ok(await listApiTokens(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
  );
  routes.on(
    'DELETE',
    '/v1/api-tokens/:id',
    {
      summary: 'Revoke an API token',
      description: 'Live connections opened with it (graphql-ws, server-sent events) are closed on every instance.',
      answers: { 204: { description: 'revoked' } },
    },
    async (req) => {
      await revokeApiToken(req.ctx, req.principal, idParam(req, 'api token'));
      return noContent();
    },
  );
}
