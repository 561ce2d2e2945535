import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import type { AppContext } from '../app-context.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import { admittedPrincipal } from './request-throttle.ts';

/** Whether HOST (the address the server listens on) is a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return ipaddr.isValid(name) && ipaddr.process(name).range() === 'loopback';
}

/**
 * `/metrics` is install-wide (every account's request counts, sync and consumer figures, and the process's internals), so
 * when the server listens beyond loopback it answers only the root token, unless the operator
 * declares it public (SYNCLINE_METRICS_PUBLIC=true, e.g. behind a scraper-only network).
 */
export function metricsNeedToken(host: string, metricsPublic: boolean): boolean {
  return !metricsPublic && !isLoopbackHost(host);
}

/** Throws 401 without a valid token and 403 for a token that is not root's. */
export async function requireRootForMetrics(ctx: AppContext, req: IncomingMessage): Promise<void> {
  // Through the request throttle, like every authenticated route: failed tokens count against the address.
  const principal = await admittedPrincipal(ctx, req.socket.remoteAddress, req.headers.authorization);
  if (!principal) throw new UnauthorizedError('/metrics needs the root API token when the server listens beyond loopback (or SYNCLINE_METRICS_PUBLIC=true)');
  if (!principal.isRoot) throw new ForbiddenError('/metrics is for the root token only');
}
