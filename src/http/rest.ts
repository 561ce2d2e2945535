import type { z } from 'zod';
import type { AppContext, Principal } from '../app-context.ts';
import { NotFoundError, ValidationError, type ErrorDetail } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { UNSTORABLE } from '../storable-text.ts';

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

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Deeper input is refused outright: nothing Syncline stores nests this far. */
const MAX_DEPTH = 64;

/** Strings PostgreSQL cannot store, and nesting too deep, as error details (iterative: no stack overflow). */
function unstorableStrings(value: unknown): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (pending.length > 0 && problems.length < 20) {
    const { value: item, path } = pending.pop()!;
    if (path.length > MAX_DEPTH) return [{ path: path.slice(0, 3).join('.'), message: `nested deeper than ${MAX_DEPTH} levels` }];
    if (typeof item === 'string') {
      if (UNSTORABLE.test(item)) problems.push({ path: path.join('.'), message: 'contains U+0000 or an unpaired surrogate, which cannot be stored' });
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => pending.push({ value: child, path: [...path, String(i)] }));
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (UNSTORABLE.test(key)) problems.push({ path: [...path, key].join('.'), message: 'key contains U+0000 or an unpaired surrogate' });
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
  return problems;
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const unstorable = unstorableStrings(value);
  if (unstorable.length > 0) throw new ValidationError(`invalid ${what}`, unstorable);
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ValidationError(`invalid ${what}`, zodDetails(result.error));
  return result.data;
}

export function queryObject(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(query.entries());
}

/** A path id that cannot name a resource is simply not found (never a database error). */
export function idParam(req: RestRequest, resource: string, name = 'id'): string {
  const id = req.params[name] ?? '';
  if (!isUuid(id)) throw new NotFoundError(resource, id);
  return id.toLowerCase();
}
