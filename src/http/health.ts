import type { ServerResponse } from 'node:http';
import type pg from 'pg';
import { pendingMigrations } from '../db/migrate.ts';
import type { Metrics } from './metrics.ts';
import { sendJson } from './rest-router.ts';

/** Unauthenticated operational endpoints: liveness, readiness (database + migrations), Prometheus text. */
export function createHealthHandlers(pool: pg.Pool, metrics: Metrics) {
  return {
    healthz(res: ServerResponse) {
      sendJson(res, 200, { status: 'ok' });
    },
    async readyz(res: ServerResponse) {
      try {
        const pending = await pendingMigrations(pool);
        if (pending.length > 0) return sendJson(res, 503, { status: 'migrating', pending });
        sendJson(res, 200, { status: 'ready' });
      } catch (error) {
        sendJson(res, 503, { status: 'unavailable', reason: (error as Error).message });
      }
    },
    async metrics(res: ServerResponse) {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
    },
  };
}
