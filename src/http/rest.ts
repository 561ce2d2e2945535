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

export type RestHandler = (req: RestRequest) => Promise<RestResponse>;
/** A route without an API token (the OAuth callback: the browser comes back from the provider). */
export type PublicRestHandler = (req: Omit<RestRequest, 'principal'>) => Promise<RestResponse>;
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** What a resource module registers its routes on. */
export interface RestRoutes {
  on(method: HttpMethod | HttpMethod[], path: string, handler: RestHandler): void;
  onPublic(method: HttpMethod, path: string, handler: PublicRestHandler): void;
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
