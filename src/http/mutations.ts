import { parseInput } from '../commands/parse-input.ts';
import { runMutation, runMutationInput, type MutationRunResult } from '../commands/mutations.ts';
import { listMutationRuns, presentRunAnswer } from '../queries/mutations.ts';
import { pageInput } from '../queries/pagination.ts';
import { restCommand } from './rest-input.ts';
import { idParam, ok, queryObject, type RestRoutes } from './rest.ts';

const presentRunResult = ({ run, awaitedConsumers }: MutationRunResult) => ({
  ...presentRunAnswer(run),
  ...(awaitedConsumers ? { awaited_consumers: awaitedConsumers.map((c) => ({ consumer_id: c.consumerId, acked: c.acked })) } : {}),
});

export function mutationRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/mutations/run', async (req) => {
    const result = await restCommand(runMutationInput, req.body, (input) => runMutation(req.ctx, req.principal, input));
    // Like Stripe: a replayed answer is the stored one, marked by a header so bodies stay identical.
    return ok(presentRunResult(result), 200, result.replayed ? { 'idempotent-replayed': 'true' } : undefined);
  });
  routes.on('GET', '/v1/syncs/:id/mutations', async (req) =>
    ok(await listMutationRuns(req.ctx, req.principal, idParam(req, 'sync'), parseInput(pageInput, queryObject(req.query), 'query'))),
  );
}
