import { z } from 'zod';
import { parseInput } from '../commands/parse-input.ts';
import { changeSyncLifecycle, createSync, createSyncInput, updateSync, updateSyncInput } from '../commands/syncs.ts';
import { pageInput } from '../queries/pagination.ts';
import { listProviders } from '../queries/providers.ts';
import { listRecordsJson, recordsQuery } from '../queries/records.ts';
import { externalId } from '../commands/sync-external-id.ts';
import { accountIdFilter } from '../queries/sync-scope.ts';
import { getSync, getSyncStatus, listSyncs } from '../queries/syncs.ts';
import { providersView, recordsPageView, syncPage, syncStatusView, syncView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { syncFilterFromQuery } from './sync-list-query.ts';
import { idParam, noContent, ok, okJson, queryObject, type RestRoutes } from './rest.ts';

const createSyncBody = restSchema(createSyncInput);
const updateSyncBody = restSchema(updateSyncInput);
const syncListQuery = pageInput.extend({
  account_id: accountIdFilter.optional().meta({ description: "root token only: another account's syncs, or every account's (`all`)" }),
  external_id: externalId.optional().meta({ description: 'only the sync with this `external_id` (exact, after trimming)' }),
  provider: z.string().min(1).max(50).optional().meta({ description: "only this provider's syncs (`stripe`)" }),
});
const externalIdTaken = '`external_id_taken`: another sync of the account has this `external_id`';
const pollIntervalTooShort = '`validation_failed`: `poll_interval_ms` under the operator\'s minimum';
const invalidReference = '`unknown_provider`, `unknown_collection`, `credential_not_found`, `credential_provider_mismatch`';

export function syncRoutes(routes: RestRoutes): void {
  routes.on(
    'GET',
    '/v1/providers',
    { tag: 'providers', summary: 'List providers', description: 'Their collections, credential kinds (what each requires), default rate limit and OAuth flow.', answers: { 200: { description: 'every provider', body: providersView } } },
    async () => ok({ data: listProviders() }),
  );
  routes.on(
    'POST',
    '/v1/syncs',
    {
      summary: 'Create a sync',
      description: 'With `credential_id`, or an inline `credential: {properties: {…}}` created with it; without `stream_id`, the account\'s first stream (created as `default` when there is none).',
      body: createSyncBody,
      answers: { 201: { description: 'the sync', body: syncView } },
      errors: { 409: externalIdTaken, 422: `${invalidReference}, \`credential_required\`, \`stream_not_found\`, \`invalid_credential\`, \`quota_exceeded\`; ${pollIntervalTooShort}` },
    },
    async (req) => {
      const id = await restCommand(createSyncInput, req.body, (input) => createSync(req.ctx, req.principal, input));
      return ok(await getSync(req.ctx, req.principal, id), 201);
    },
  );
  routes.on(
    'GET',
    '/v1/syncs',
    {
      summary: 'List syncs',
      description:
        'Oldest first. Filters, all of which must hold: `external_id`, `provider`, and `metadata.<key>=<value>` (one parameter per key, up to 50: the top-level metadata key `<key>` holds the string `<value>`, or a number or boolean written so). Send the same filters with `cursor`. Other parameters are ignored.',
      query: syncListQuery,
      answers: { 200: { description: 'a page of syncs', body: syncPage } },
      errors: {
        400: '`invalid_filter`: a filter that is empty, too long, holds a control character, is given twice, or is written `metadata[<key>]` / `metadata=`',
        403: "`forbidden`: `account_id` of another account, without the root token",
      },
    },
    async (req) => {
      const page = parseInput(pageInput, queryObject(req.query), 'query');
      return ok(await listSyncs(req.ctx, req.principal, page, undefined, syncFilterFromQuery(req.query)));
    },
  );
  routes.on(
    'GET',
    '/v1/syncs/:id',
    { summary: 'Get a sync', description: "The root token may read any account's sync.", answers: { 200: { description: 'the sync', body: syncView } } },
    async (req) => ok(await getSync(req.ctx, req.principal, idParam(req, 'sync'))),
  );
  routes.on(
    'PATCH',
    '/v1/syncs/:id',
    {
      summary: 'Change a sync',
      description: 'Fields left out keep their value; `external_id: null` removes the sync\'s external id.',
      body: updateSyncBody,
      answers: { 200: { description: 'the sync', body: syncView } },
      errors: { 409: externalIdTaken, 422: `${invalidReference}; ${pollIntervalTooShort}` },
    },
    async (req) => {
      const id = idParam(req, 'sync');
      await restCommand(updateSyncInput, req.body, (patch) => updateSync(req.ctx, req.principal, id, patch));
      return ok(await getSync(req.ctx, req.principal, id));
    },
  );
  routes.on('DELETE', '/v1/syncs/:id', { summary: 'Delete a sync', answers: { 204: { description: 'deleted' } } }, async (req) => {
    await changeSyncLifecycle(req.ctx, req.principal, idParam(req, 'sync'), 'DeleteSync');
    return noContent();
  });
  const lifecycle = {
    pause: { command: 'PauseSync', summary: 'Pause a sync', description: "The root token may pause any account's sync." },
    resume: { command: 'ResumeSync', summary: 'Resume a sync', description: "The root token may resume any account's sync." },
    resync: { command: 'ResyncSync', summary: 'Backfill every collection again from page one', description: undefined },
  } as const;
  for (const [action, { command, summary, description }] of Object.entries(lifecycle)) {
    routes.on(
      'POST',
      `/v1/syncs/:id/${action}`,
      { summary, ...(description ? { description } : {}), answers: { 200: { description: 'the sync', body: syncView } } },
      async (req) => {
        const id = idParam(req, 'sync');
        await changeSyncLifecycle(req.ctx, req.principal, id, command);
        return ok(await getSync(req.ctx, req.principal, id));
      },
    );
  }
  routes.on(
    'GET',
    '/v1/syncs/:id/status',
    {
      summary: "A sync's status",
      description: "State, request accounting and each collection's backfill progress, counts and what it is doing upstream now. The root token may read any account's.",
      answers: { 200: { description: 'the status', body: syncStatusView } },
    },
    async (req) => ok(await getSyncStatus(req.ctx, req.principal, idParam(req, 'sync'))),
  );
  routes.on(
    'GET',
    '/v1/syncs/:id/records',
    {
      summary: "A sync's records",
      description: 'In `updated_idx` order after a position: at most `limit` records and, past the first, at most SYNCLINE_MAX_ANSWER_BYTES of them (a page may end early: `next_cursor` is set whenever more follow).',
      query: recordsQuery,
      answers: { 200: { description: 'a page of records', body: recordsPageView } },
    },
    async (req) => okJson(await listRecordsJson(req.ctx, req.principal, idParam(req, 'sync'), parseInput(recordsQuery, queryObject(req.query), 'query'))),
  );
}
