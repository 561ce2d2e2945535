import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathItemObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import type { AnswerSpec, RouteDefinition, RouteErrorStatus } from '../rest.ts';
import { errorAnswer } from './responses.ts';

export type OpenApiDocument = ReturnType<typeof createDocument>;

const DESCRIPTION = `Syncline's REST API. Bodies and answers are JSON with snake_case names; every route but the
public ones takes an API token, \`Authorization: Bearer syn_…\`. docs/API.md describes the resources,
limits and errors; this document is generated from the zod schemas that validate each request.`;

/** find-my-way's `/v1/syncs/:id` is OpenAPI's `/v1/syncs/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const pathParams = (path: string): string[] => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

const pascal = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** `GET /v1/streams/:id` → `getStreamsById`: unique as long as method and path are. */
function derivedOperationId(route: RouteDefinition): string {
  const words = route.path
    .split('/')
    .filter((segment) => segment && segment !== 'v1')
    .map((segment) => (segment.startsWith(':') ? `By${pascal(segment.slice(1))}` : segment.split(/[-_.]/).map(pascal).join('')));
  return route.method.toLowerCase() + words.join('');
}

const defaultTag = (path: string) => path.split('/').filter((s) => s && s !== 'v1' && s !== 'api')[0] ?? 'api';

const retryAfter = z.object({ 'retry-after': z.string().meta({ description: 'seconds until a retry can succeed' }) });

/** An error answer: the one error shape, with the codes this route answers at this status. */
function errorResponse(codes: string[], headers?: z.ZodObject): ZodOpenApiResponseObject {
  return {
    description: codes.map((code) => (/^[a-z_]+$/.test(code) ? `\`${code}\`` : code)).join(', '),
    content: { 'application/json': { schema: errorAnswer } },
    ...(headers ? { headers } : {}),
  };
}

function answerResponse(answer: AnswerSpec): ZodOpenApiResponseObject {
  return {
    description: answer.description,
    ...(answer.body ? { content: { [answer.contentType ?? 'application/json']: { schema: answer.body } } } : {}),
    ...(answer.headers ? { headers: answer.headers } : {}),
  };
}

/**
 * The errors a route can answer: those of its kind (every route that reads a body can meet
 * malformed JSON, every authenticated one a bad token or the rate limit, every path id an unknown
 * one, every command a concurrent write), then those its spec names.
 */
function errorResponses(route: RouteDefinition): ZodOpenApiResponsesObject {
  const { spec } = route;
  const readsBody = route.method !== 'GET' && route.method !== 'DELETE';
  const codes = new Map<number, string[]>();
  const add = (status: number, ...more: string[]) => codes.set(status, [...(codes.get(status) ?? []), ...more]);
  if (readsBody && !spec.rawBody) add(400, 'malformed_json');
  if ((spec.body && readsBody) || spec.query) add(400, 'validation_failed');
  if (route.auth !== 'none') add(401, 'unauthorized');
  if (/:(id|ref)(\/|$)/.test(route.path)) add(404, 'not_found'); // the resource a path names, missing or another account's
  if (spec.command ?? route.method !== 'GET') add(409, 'concurrent_modification');
  if (readsBody) add(413, 'payload_too_large');
  for (const [status, described] of Object.entries(spec.errors ?? {}) as [`${RouteErrorStatus}`, string][]) add(Number(status), described);
  if (route.auth !== 'none') add(429, 'rate_limited', 'too_many_failed_authentications');
  add(500, 'internal');
  return Object.fromEntries(
    [...codes.entries()].sort(([a], [b]) => a - b).map(([status, list]) => [String(status), errorResponse([...new Set(list)], status === 429 ? retryAfter : undefined)]),
  );
}

function operation(route: RouteDefinition): ZodOpenApiOperationObject {
  const { spec } = route;
  const names = pathParams(route.path);
  const params = spec.params ?? (names.length > 0 ? z.object(Object.fromEntries(names.map((name) => [name, z.string()]))) : undefined);
  const readsBody = route.method !== 'GET' && route.method !== 'DELETE';
  const responses: ZodOpenApiResponsesObject = {
    ...Object.fromEntries(Object.entries(spec.answers).map(([status, answer]) => [status, answerResponse(answer)])),
    ...errorResponses(route),
  };
  return {
    operationId: spec.operationId ?? derivedOperationId(route),
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag ?? defaultTag(route.path)],
    ...(params || spec.query ? { requestParams: { ...(params ? { path: params } : {}), ...(spec.query ? { query: spec.query } : {}) } } : {}),
    ...(spec.rawBody && readsBody ? { requestBody: { required: true, description: spec.rawBody.description, content: { '*/*': { schema: z.string() } } } } : {}),
    ...(spec.body && readsBody
      ? { requestBody: { required: !(spec.bodyOptional || spec.body.safeParse({}).success), content: { 'application/json': { schema: spec.body } } } }
      : {}),
    ...(route.auth === 'none' ? { security: [] } : route.auth === 'optional' ? { security: [{}, { bearerAuth: [] }] } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of these routes (`GET /openapi.json`). */
export function openApiDocument(routes: readonly RouteDefinition[]): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    const op = operation(route);
    if (operationIds.has(op.operationId!)) throw new Error(`two routes are both ${op.operationId}: give one an operationId`);
    operationIds.add(op.operationId!);
    const item: ZodOpenApiPathItemObject = (paths[openApiPath(route.path)] ??= {});
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
    if (item[method]) throw new Error(`${route.method} ${route.path} is registered twice`);
    item[method] = op;
  }
  return createDocument({
    openapi: '3.1.1',
    info: { title: 'Syncline REST API', version: '1', description: DESCRIPTION, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token (`syn_…`): the root token printed at first start, or one made with `POST /v1/api-tokens`.' },
      },
    },
    paths,
  });
}
