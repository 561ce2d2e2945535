import { parseInput } from '../commands/parse-input.ts';
import { runMutation, runMutationInput } from '../commands/mutations.ts';
import { listMutationRuns } from '../queries/mutations.ts';
import { pageInput } from '../queries/pagination.ts';
import { idParam, ok, queryObject, type RestRoutes } from './rest.ts';

export function mutationRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/mutations/run', async (req) => {
    const { replayed, ...answer } = await runMutation(req.ctx, req.principal, parseInput(runMutationInput, req.body));
    // Like Stripe: a replayed answer is the stored one, marked by a header so bodies stay identical.
    return ok(answer, 200, replayed ? { 'idempotent-replayed': 'true' } : undefined);
  });
  routes.on('GET', '/v1/syncs/:id/mutations', async (req) =>
    ok(await listMutationRuns(req.ctx, req.principal, idParam(req, 'sync'), parseInput(pageInput, queryObject(req.query), 'query'))),
  );
}
