import { z } from 'zod';
import { parseInput } from '../commands/parse-input.ts';
import { runMutation, runMutationInput, type MutationRunResult } from '../commands/mutations.ts';
import { listMutationRuns, presentRunAnswer } from '../queries/mutations.ts';
import { pageInput } from '../queries/pagination.ts';
import { mutationRunAuditPage, mutationRunView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { idParam, ok, queryObject, type RestRoutes } from './rest.ts';

const presentRunResult = ({ run, awaitedConsumers }: MutationRunResult): z.output<typeof mutationRunView> => ({
  ...presentRunAnswer(run),
  ...(awaitedConsumers ? { awaited_consumers: awaitedConsumers.map((c) => ({ consumer_id: c.consumerId, acked: c.acked })) } : {}),
});

const runBody = restSchema(runMutationInput).meta({
  description: 'The items as exactly one of `data` (objects in the provider\'s shape), `records: [{upstream_id?, data}]`, or `upstream_ids` (deletes only).',
});

export function mutationRoutes(routes: RestRoutes): void {
  routes.on(
    'POST',
    '/v1/mutations/run',
    {
      summary: 'Write records back upstream',
      description: 'Creates, updates or deletes objects upstream through the sync\'s credential, then records the versions written. With `idempotency_key` a retry answers the stored result (header `Idempotent-Replayed: true`).',
      body: runBody,
      answers: {
        200: {
          description: "the run: each item's record, or why it failed",
          body: mutationRunView,
          headers: z.object({ 'idempotent-replayed': z.literal('true').optional().meta({ description: 'a replay: the stored answer' }) }),
        },
      },
      errors: {
        404: '`not_found`: the sync',
        409: '`idempotency_key_reused`',
        422: '`collection_not_in_sync`, `mutation_not_supported`, `upstream_id_required`, `consumer_not_found`, `credential_missing`',
      },
    },
    async (req) => {
      const result = await restCommand(runMutationInput, req.body, (input) => runMutation(req.ctx, req.principal, input));
      // Like Stripe: a replayed answer is the stored one, marked by a header so bodies stay identical.
      return ok(presentRunResult(result), 200, result.replayed ? { 'idempotent-replayed': 'true' } : undefined);
    },
  );
  routes.on(
    'GET',
    '/v1/syncs/:id/mutations',
    { summary: "A sync's mutation runs (the audit trail), oldest first", query: pageInput, answers: { 200: { description: 'a page of runs', body: mutationRunAuditPage } } },
    async (req) => ok(await listMutationRuns(req.ctx, req.principal, idParam(req, 'sync'), parseInput(pageInput, queryObject(req.query), 'query'))),
  );
}
