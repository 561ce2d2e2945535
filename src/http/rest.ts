import type { z } from 'zod';
import type { AppContext, Principal } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';

export interface RestRequest {
  principal: Principal;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  /** Parsed JSON body, or undefined when the request had none. */
  body: unknown;
  ctx: AppContext;
}

export interface RestResponse {
  status: number;
  body?: unknown;
  /** A body already serialized as JSON (sent as is, instead of `body`). */
  json?: string;
  headers?: Record<string, string>;
}

/** The request as sent, for a route with `rawBody` (a provider webhook: its signature covers the exact bytes). */
export interface RawRequest {
  method: string;
  /** Path and query, as sent. */
  target: string;
  headers: Headers;
  /** The body exactly as sent; over `limitBytes`: PayloadTooLargeError (413). Read at most once. */
  readBody(limitBytes: number): Promise<Buffer>;
}

export type RestHandler = (req: RestRequest) => Promise<RestResponse>;
/** A route without an API token (the OAuth callback: the browser comes back from the provider). */
export type PublicRestHandler = (req: Omit<RestRequest, 'principal'> & { raw: RawRequest }) => Promise<RestResponse>;
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The answers a route describes itself (503: `/readyz` not ready); the errors are `RouteErrorStatus`. */
export type AnswerStatus = 200 | 201 | 204 | 302 | 503;
/** The errors a route declares beyond those every route of its kind has (src/http/openapi/operation.ts adds those). */
export type RouteErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422;

/** One answer a route gives: what it means, its body's schema (none for 204 and 302), its headers. */
export interface AnswerSpec {
  description: string;
  body?: z.ZodType;
  /** `application/json` unless said. */
  contentType?: string;
  headers?: z.ZodObject;
}

/**
 * What a route takes and answers, in REST's names (snake_case): the OpenAPI document
 * (`GET /openapi.json`, src/http/openapi/) is made of these, so no route exists undocumented.
 */
export interface RouteSpec {
  summary: string;
  description?: string;
  /** The group the route is listed under; by default the first path segment after `/v1`. */
  tag?: string;
  /** Path parameters, described; each `:name` of the path is a string otherwise. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON body (never read on GET and DELETE). */
  body?: z.ZodType;
  /** The route reads its body itself, as bytes (`raw.readBody`), not as JSON; described here. */
  rawBody?: { description: string };
  /** The body may be left out (`/next` then reads the query); so may any body `{}` would be valid for (a missing body is read as `{}`). */
  bodyOptional?: boolean;
  /** Runs a command, an append that can meet a concurrent one (409 `concurrent_modification`): by default every POST, PATCH and DELETE does. */
  command?: boolean;
  /** Set where the path alone would name two operations alike (the `nats-consumers` aliases). */
  operationId?: string;
  answers: Partial<Record<AnswerStatus, AnswerSpec>>;
  /** Error statuses of this route, each with the codes it answers. */
  errors?: Partial<Record<RouteErrorStatus, string>>;
}

/** A registered route, as the OpenAPI document lists it. */
export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  spec: RouteSpec;
  /** `none`: served without an API token; `optional`: a token only in some setups (`/metrics`). */
  auth: 'token' | 'none' | 'optional';
}

/** What a resource module registers its routes on. */
export interface RestRoutes {
  on(method: HttpMethod | HttpMethod[], path: string, spec: RouteSpec, handler: RestHandler): void;
  onPublic(method: HttpMethod, path: string, spec: RouteSpec, handler: PublicRestHandler): void;
}

/** Routes as definitions only (no handler runs): what the OpenAPI document is built from. */
export function routeCollector(): { routes: RestRoutes; definitions: RouteDefinition[] } {
  const definitions: RouteDefinition[] = [];
  const methods = (method: HttpMethod | HttpMethod[]) => (Array.isArray(method) ? method : [method]);
  return {
    definitions,
    routes: {
      on(method, path, spec) {
        for (const m of methods(method)) definitions.push({ method: m, path, spec, auth: 'token' });
      },
      onPublic(method, path, spec) {
        definitions.push({ method, path, spec, auth: 'none' });
      },
    },
  };
}

export const ok = (body: unknown, status = 200, headers?: Record<string, string>): RestResponse => ({ status, body, headers });
/** A 200 whose body is JSON text built by the handler (e.g. records spliced in as stored). */
export const okJson = (json: string, headers?: Record<string, string>): RestResponse => ({ status: 200, json, headers });
export const noContent = (): RestResponse => ({ status: 204 });

export function queryObject(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(query.entries());
}

/** A path id that cannot name a resource is simply not found (never a database error). */
export function idParam(req: RestRequest, resource: string, name = 'id'): string {
  const id = req.params[name] ?? '';
  if (!isUuid(id)) throw new NotFoundError(resource, id);
  return id.toLowerCase();
}
