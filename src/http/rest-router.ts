import type { IncomingMessage, ServerResponse } from 'node:http';
import createRouter, { type HTTPMethod } from 'find-my-way';
import type { AppContext, Principal } from '../app-context.ts';
import { AppError, UnauthorizedError } from '../errors.ts';
import { toErrorResponse } from './error-response.ts';
import type { Metrics } from './metrics.ts';
import { readJsonBody, readRawBody } from './read-body.ts';
import { admittedPrincipal } from './request-throttle.ts';
import { describeRequest } from '../tracing.ts';
import { routeCollector, type HttpMethod, type PublicRestHandler, type RawRequest, type RestHandler, type RestResponse, type RestRoutes, type RouteSpec } from './rest.ts';

type Route = { path: string; spec: RouteSpec } & ({ handler: RestHandler; public?: false } | { handler: PublicRestHandler; public: true });

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, json?: string): void {
  const payload = json ?? (body === undefined ? '' : JSON.stringify(body));
  res.writeHead(status, { ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
  res.end(payload);
}

async function principalOf(ctx: AppContext, req: IncomingMessage): Promise<Principal> {
  const principal = await admittedPrincipal(ctx, req.socket.remoteAddress, req.headers.authorization);
  if (!principal) throw new UnauthorizedError();
  return principal;
}

/**
 * The REST API: authenticated JSON routes. Each resource module registers its routes; this file
 * owns auth, body parsing, error mapping and metrics, once for all.
 */
export function createRestRouter(ctx: AppContext, metrics: Metrics, maxBodyBytes: number) {
  const router = createRouter<createRouter.HTTPVersion.V1>({ ignoreTrailingSlash: true, caseSensitive: true });
  const documented = routeCollector();
  const routes: RestRoutes = {
    on(method: HttpMethod | HttpMethod[], path: string, spec: RouteSpec, handler: RestHandler) {
      documented.routes.on(method, path, spec, handler);
      const route: Route = { path, spec, handler };
      router.on(method as HTTPMethod | HTTPMethod[], path, () => undefined, route);
    },
    onPublic(method: HttpMethod, path: string, spec: RouteSpec, handler: PublicRestHandler) {
      documented.routes.onPublic(method, path, spec, handler);
      const route: Route = { path, spec, handler, public: true };
      router.on(method as HTTPMethod, path, () => undefined, route);
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let routeLabel = 'unmatched';
    let response: RestResponse;
    try {
      // A target like `//` parses as a URL without a host and throws: it must answer 404, not crash.
      const url = requestUrl(req.url);
      const found = router.find(req.method as HTTPMethod, url.pathname);
      const route = (found?.store as Route | undefined) ?? null;
      routeLabel = route?.path ?? 'unmatched';
      describeRequest(`${req.method} ${routeLabel}`, { 'http.route': routeLabel });
      if (!route) {
        const pathExists = (['GET', 'POST', 'PATCH', 'DELETE', 'PUT'] as const).some((m) => router.find(m, url.pathname));
        throw pathExists
          ? new AppError('method_not_allowed', `${req.method} is not allowed on ${url.pathname}`, 405)
          : new AppError('route_not_found', `no route ${req.method} ${url.pathname}`, 404);
      }
      const readBody = () => (req.method === 'GET' || req.method === 'DELETE' || route.spec.rawBody ? undefined : readJsonBody(req, maxBodyBytes));
      if (route.public) {
        response = await route.handler({ params: found!.params, query: url.searchParams, body: await readBody(), ctx, raw: rawRequest(req) });
      } else {
        const principal = await principalOf(ctx, req);
        response = await route.handler({ principal, params: found!.params, query: url.searchParams, body: await readBody(), ctx });
      }
    } catch (error) {
      response = toErrorResponse(error, ctx.logger);
    }
    sendJson(res, response.status, response.body, response.headers, response.json);
    metrics.httpRequests.inc({ method: req.method ?? '', route: routeLabel, status: String(response.status) });
    metrics.httpDuration.observe({ method: req.method ?? '', route: routeLabel }, (performance.now() - started) / 1000);
  }

  return {
    routes,
    handle,
    /** Every route the router answers, with its spec: `router.on` is called nowhere else. */
    definitions: documented.definitions,
  };
}

function rawRequest(req: IncomingMessage): RawRequest {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return { method: req.method ?? 'GET', target: req.url ?? '/', headers, readBody: (limitBytes) => readRawBody(req, limitBytes) };
}

function requestUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    throw new AppError('route_not_found', `no route for ${JSON.stringify(target)}`, 404);
  }
}
