import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AppContext } from '../app-context.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { secretKeyProblem } from '../db/secret-key-check.ts';
import { toErrorResponse } from './error-response.ts';
import { requireRootForMetrics } from './metrics-access.ts';
import type { Metrics } from './metrics.ts';
import type { RouteDefinition } from './rest.ts';
import { sendJson } from './rest-router.ts';

/** The endpoints below as the OpenAPI document lists them (server.ts mounts them beside the REST router). */
export const operationalRoutes: RouteDefinition[] = [
  {
    method: 'GET',
    path: '/healthz',
    auth: 'none',
    spec: { tag: 'operations', summary: 'Liveness', answers: { 200: { description: 'the process answers', body: z.object({ status: z.literal('ok') }) } } },
  },
  {
    method: 'GET',
    path: '/readyz',
    auth: 'none',
    spec: {
      tag: 'operations',
      summary: 'Readiness',
      description: 'Ready when the database answers, its migrations are applied and the secret key opens the stored check value.',
      answers: {
        200: { description: 'ready to serve', body: z.object({ status: z.literal('ready') }) },
        503: {
          description: 'not ready: migrations pending, or the database or the secret key is the problem',
          body: z.union([
            z.object({ status: z.literal('migrating'), pending: z.array(z.string()) }),
            z.object({ status: z.literal('unavailable'), reason: z.string() }),
          ]),
        },
      },
    },
  },
  {
    method: 'GET',
    path: '/metrics',
    auth: 'optional',
    spec: {
      tag: 'operations',
      summary: 'Prometheus metrics',
      description: "Install-wide: HTTP counters, every sync's and consumer's status figures, database pools (docs/OPERATIONS.md). When the server listens beyond loopback it answers only the root token, unless SYNCLINE_METRICS_PUBLIC=true.",
      answers: { 200: { description: 'the Prometheus text format', contentType: 'text/plain', body: z.string() } },
      errors: { 403: '`forbidden`: a token that is not the root token' },
    },
  },
];

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
