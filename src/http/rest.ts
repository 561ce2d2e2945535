import type { z } from 'zod';
import type { AppContext, Principal } from '../commands/context.ts';
import { NotFoundError, ValidationError, type ErrorDetail } from '../errors.ts';
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
  headers?: Record<string, string>;
}

export type RestHandler = (req: RestRequest) => Promise<RestResponse>;
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** What a resource module registers its routes on. */
export interface RestRoutes {
  on(method: HttpMethod | HttpMethod[], path: string, handler: RestHandler): void;
}

export const ok = (body: unknown, status = 200, headers?: Record<string, string>): RestResponse => ({ status, body, headers });
export const noContent = (): RestResponse => ({ status: 204 });

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** U+0000 and unpaired surrogates: valid in JSON and JavaScript strings, refused by PostgreSQL. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorableStrings(value: unknown, path: string[] = []): ErrorDetail[] {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? [{ path: path.join('.'), message: 'contains U+0000 or an unpaired surrogate, which cannot be stored' }] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unstorableStrings(item, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [
      ...(UNSTORABLE.test(key) ? [{ path: [...path, key].join('.'), message: 'key contains U+0000 or an unpaired surrogate' }] : []),
      ...unstorableStrings(item, [...path, key]),
    ]);
  }
  return [];
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
