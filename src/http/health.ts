import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext } from '../app-context.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { secretKeyProblem } from '../db/secret-key-check.ts';
import { toErrorResponse } from './error-response.ts';
import { requireRootForMetrics } from './metrics-access.ts';
import type { Metrics } from './metrics.ts';
import { sendJson } from './rest-router.ts';

/**
 * Operational endpoints: liveness, readiness (database, migrations, the secret key opens the
 * stored check value), Prometheus text (root token only when `metricsNeedToken`, see metrics-access.ts).
 */
export function createHealthHandlers(ctx: AppContext, metrics: Metrics, metricsNeedToken: boolean) {
  const { pool, secretBox } = ctx;
  return {
    healthz(res: ServerResponse) {
      sendJson(res, 200, { status: 'ok' });
    },
    async readyz(res: ServerResponse) {
      try {
        const pending = await pendingMigrations(pool);
        if (pending.length > 0) return sendJson(res, 503, { status: 'migrating', pending });
        const keyProblem = await secretKeyProblem(pool, secretBox);
        if (keyProblem) return sendJson(res, 503, { status: 'unavailable', reason: keyProblem });
        sendJson(res, 200, { status: 'ready' });
      } catch (error) {
        sendJson(res, 503, { status: 'unavailable', reason: (error as Error).message });
      }
    },
    async metrics(req: IncomingMessage, res: ServerResponse) {
      if (metricsNeedToken) {
        try {
          await requireRootForMetrics(ctx, req);
        } catch (error) {
          const { status, body, headers } = toErrorResponse(error, ctx.logger);
          return sendJson(res, status, body, headers);
        }
      }
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
    },
  };
}
