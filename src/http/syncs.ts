import { parseInput } from '../commands/parse-input.ts';
import { changeSyncLifecycle, createSync, createSyncInput, updateSync, updateSyncInput } from '../commands/syncs.ts';
import { pageInput } from '../queries/pagination.ts';
import { listProviders } from '../queries/providers.ts';
import { listRecordsJson, recordsQuery } from '../queries/records.ts';
import { getSync, getSyncStatus, listSyncs } from '../queries/syncs.ts';
import { restCommand } from './rest-input.ts';
import { idParam, noContent, ok, okJson, queryObject, type RestRoutes } from './rest.ts';

export function syncRoutes(routes: RestRoutes): void {
  routes.on('GET', '/v1/providers', async () => ok({ data: listProviders() }));
  routes.on('POST', '/v1/syncs', async (req) => {
    const id = await restCommand(createSyncInput, req.body, (input) => createSync(req.ctx, req.principal, input));
    return ok(await getSync(req.ctx, req.principal, id), 201);
  });
  routes.on('GET', '/v1/syncs', async (req) => ok(await listSyncs(req.ctx, req.principal, parseInput(pageInput, queryObject(req.query), 'query'))));
  routes.on('GET', '/v1/syncs/:id', async (req) => ok(await getSync(req.ctx, req.principal, idParam(req, 'sync'))));
  routes.on('PATCH', '/v1/syncs/:id', async (req) => {
    const id = idParam(req, 'sync');
    await restCommand(updateSyncInput, req.body, (patch) => updateSync(req.ctx, req.principal, id, patch));
    return ok(await getSync(req.ctx, req.principal, id));
  });
  routes.on('DELETE', '/v1/syncs/:id', async (req) => {
    await changeSyncLifecycle(req.ctx, req.principal, idParam(req, 'sync'), 'DeleteSync');
    return noContent();
  });
  const lifecycle = { pause: 'PauseSync', resume: 'ResumeSync', resync: 'ResyncSync' } as const;
  for (const [action, command] of Object.entries(lifecycle)) {
    routes.on('POST', `/v1/syncs/:id/${action}`, async (req) => {
      const id = idParam(req, 'sync');
      await changeSyncLifecycle(req.ctx, req.principal, id, command);
      return ok(await getSync(req.ctx, req.principal, id));
    });
  }
  routes.on('GET', '/v1/syncs/:id/status', async (req) => ok(await getSyncStatus(req.ctx, req.principal, idParam(req, 'sync'))));
  routes.on('GET', '/v1/syncs/:id/records', async (req) =>
    okJson(await listRecordsJson(req.ctx, req.principal, idParam(req, 'sync'), parseInput(recordsQuery, queryObject(req.query), 'query'))),
  );
}
