import { parseInput } from '../commands/parse-input.ts';
import { addCredential, credentialInput, credentialPatchInput, deleteCredential, updateCredential } from '../commands/credentials.ts';
import { getCredential, listCredentials } from '../queries/credentials.ts';
import { pageInput } from '../queries/pagination.ts';
import { credentialPage, credentialView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

const credentialBody = restSchema(credentialInput);
const credentialPatchBody = restSchema(credentialPatchInput);
const invalidCredential = '`invalid_credential`: a field the kind requires is missing or invalid (`details[].path`)';

export function credentialRoutes(routes: RestRoutes): void {
  routes.on(
    'POST',
    '/v1/credentials',
    {
      summary: 'Add a credential',
      description: 'Secrets are sealed before they are stored; answers show only hints. `secret` is the kind\'s main secret (the seed\'s inline form).',
      body: credentialBody,
      answers: { 201: { description: 'the credential (secrets as hints)', body: credentialView } },
      errors: { 422: invalidCredential },
    },
    async (req) => {
      const id = await restCommand(credentialInput, req.body, (input) => addCredential(req.ctx, req.principal, input));
      return ok(await getCredential(req.ctx, req.principal, id), 201);
    },
  );
  routes.on(
    'GET',
    '/v1/credentials',
    { summary: 'List credentials', query: pageInput, answers: { 200: { description: 'a page of credentials', body: credentialPage } } },
    async (req) => ok(await listCredentials(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
  );
  routes.on('GET', '/v1/credentials/:id', { summary: 'Get a credential', answers: { 200: { description: 'the credential', body: credentialView } } }, async (req) =>
    ok(await getCredential(req.ctx, req.principal, idParam(req, 'credential'))),
  );
  routes.on(
    'PATCH',
    '/v1/credentials/:id',
    {
      summary: 'Change a credential',
      description: 'Any subset of the fields; secrets given replace the stored ones, the others are kept.',
      body: credentialPatchBody,
      answers: { 200: { description: 'the credential', body: credentialView } },
      errors: { 422: invalidCredential },
    },
    async (req) => {
      const id = idParam(req, 'credential');
      await restCommand(credentialPatchInput, req.body, (patch) => updateCredential(req.ctx, req.principal, id, patch));
      return ok(await getCredential(req.ctx, req.principal, id));
    },
  );
  routes.on('DELETE', '/v1/credentials/:id', { summary: 'Delete a credential', answers: { 204: { description: 'deleted' } } }, async (req) => {
    await deleteCredential(req.ctx, req.principal, idParam(req, 'credential'));
    return noContent();
  });
}
