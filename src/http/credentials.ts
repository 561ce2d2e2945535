import { parseInput } from '../commands/parse-input.ts';
import { addCredential, credentialInput, credentialPatchInput, deleteCredential, updateCredential } from '../commands/credentials.ts';
import { getCredential, listCredentials } from '../queries/credentials.ts';
import { pageInput } from '../queries/pagination.ts';
import { restCommand } from './rest-input.ts';
import { idParam, noContent, ok, queryObject, type RestRoutes } from './rest.ts';

export function credentialRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/credentials', async (req) => {
    const id = await restCommand(credentialInput, req.body, (input) => addCredential(req.ctx, req.principal, input));
    return ok(await getCredential(req.ctx, req.principal, id), 201);
  });
  routes.on('GET', '/v1/credentials', async (req) =>
    ok(await listCredentials(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))),
  );
  routes.on('GET', '/v1/credentials/:id', async (req) => ok(await getCredential(req.ctx, req.principal, idParam(req, 'credential'))));
  routes.on('PATCH', '/v1/credentials/:id', async (req) => {
    const id = idParam(req, 'credential');
    await restCommand(credentialPatchInput, req.body, (patch) => updateCredential(req.ctx, req.principal, id, patch));
    return ok(await getCredential(req.ctx, req.principal, id));
  });
  routes.on('DELETE', '/v1/credentials/:id', async (req) => {
    await deleteCredential(req.ctx, req.principal, idParam(req, 'credential'));
    return noContent();
  });
}
