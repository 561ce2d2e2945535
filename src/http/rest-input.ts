import { z } from 'zod';
import { assertStorable, zodDetails } from '../commands/parse-input.ts';
import { AppError, InvariantError, ValidationError, type ErrorDetail } from '../errors.ts';

/*
 * REST speaks snake_case; commands take their input, and name the fields of its problems, in
 * camelCase (the GraphQL input's names). This file is the one translation between the two, for
 * every resource: a body's keys become camelCase on the way in (`rate_limit.allowed_requests` →
 * `rateLimit.allowedRequests`) and the paths of its errors snake_case on the way out, so a REST
 * answer names the fields the way the request did.
 */

/** Under these keys the keys are the caller's own (free metadata, a provider's objects, a webhook's header names): never renamed. */
const CALLERS_OWN = new Set(['metadata', 'data', 'headers']);

const toCamel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Marks a key that is not snake_case as REST writes it (`collectionIds`, `a_1`): it names no field,
 * so it must not reach the command as one of its camelCase names; the schema refuses it as unknown
 * and the answer shows it as given. U+0000 cannot be in a key here: `assertStorable` refused it.
 */
const FOREIGN = '\u0000';

function commandKey(restKey: string): string {
  const camel = toCamel(restKey);
  return toSnake(camel) === restKey ? camel : FOREIGN + restKey;
}

const restKey = (key: string) => (key.startsWith(FOREIGN) ? key.slice(FOREIGN.length) : toSnake(key));

/** Depth is bounded: `assertStorable` refuses input nested deeper than it allows. */
function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [commandKey(key), CALLERS_OWN.has(key) ? child : camelCaseKeys(child)]));
}

/**
 * A command's input schema as REST receives it: the same schema with snake_case keys (the keys of
 * `metadata` and `data` stay the caller's), for the OpenAPI document. Derived, so the command's
 * schema stays the one source of the rules; `camelCaseKeys` above is its inverse on the way in.
 * Checks across fields (`superRefine`) stay behind: they read the command's names, and JSON Schema
 * cannot say them (a description can).
 */
export function restSchema(schema: z.ZodObject): z.ZodObject;
export function restSchema(schema: z.ZodType): z.ZodType;
export function restSchema(schema: z.ZodType): z.ZodType {
  return withRestKeysDeep(schema);
}

type Def = Record<string, unknown> & { type: string };
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);

function withRestKeysDeep(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as unknown as Def;
  let twin: z.ZodType;
  if (def.type === 'object') {
    const shape = Object.entries((def as Def & { shape: Record<string, z.ZodType> }).shape).map(([key, child]) => {
      const restName = toSnake(key);
      if (commandKey(restName) !== key) throw new InvariantError('field_without_rest_name', `field ${key} has no REST name: ${restName} would not map back to it`);
      return [restName, CALLERS_OWN.has(key) ? child : withRestKeysDeep(child)] as const;
    });
    const checks = ((def.checks ?? []) as z.core.$ZodCheck[]).filter((check) => check._zod.def.check !== 'custom');
    twin = schema.clone({ ...def, shape: Object.fromEntries(shape), checks } as never);
  } else if (WRAPPERS.has(def.type)) {
    twin = schema.clone({ ...def, innerType: withRestKeysDeep(def.innerType as z.ZodType) } as never);
  } else if (def.type === 'array') {
    twin = schema.clone({ ...def, element: withRestKeysDeep(def.element as z.ZodType) } as never);
  } else if (def.type === 'record') {
    twin = schema.clone({ ...def, valueType: withRestKeysDeep(def.valueType as z.ZodType) } as never);
  } else if (def.type === 'union') {
    twin = schema.clone({ ...def, options: (def.options as z.ZodType[]).map(withRestKeysDeep) } as never);
  } else if (def.type === 'pipe') {
    twin = schema.clone({ ...def, in: withRestKeysDeep(def.in as z.ZodType) } as never);
  } else {
    return schema; // no keys inside
  }
  // The description travels; an `id` would name two components alike.
  const { id: _id, ...meta } = z.globalRegistry.get(schema) ?? {};
  return Object.keys(meta).length > 0 ? twin.meta(meta) : twin;
}

/** A command's path (`rateLimit.allowedRequests`, `records[2].upstreamId`, `metadata.shopName`) in REST's names. */
export function restPath(path: string): string {
  let callersOwn = false;
  return path.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (name) => {
    if (callersOwn) return name;
    callersOwn = CALLERS_OWN.has(name);
    return toSnake(name);
  });
}

/** zod's message names the keys in order, each quoted: each in turn takes its REST name. */
function withRestKeys(message: string, keys: readonly string[]): string {
  let renamed = '';
  let rest = message;
  for (const key of keys) {
    const at = rest.indexOf(`"${key}"`);
    if (at < 0) continue;
    renamed += `${rest.slice(0, at)}"${restKey(key)}"`;
    rest = rest.slice(at + key.length + 2);
  }
  return renamed + rest;
}

function restDetails(error: z.ZodError): ErrorDetail[] {
  return zodDetails(error).map((detail, i) => {
    const issue = error.issues[i]!;
    const message = issue.code === 'unrecognized_keys' ? withRestKeys(detail.message, issue.keys) : detail.message;
    return { path: restPath(detail.path), message };
  });
}

/** A REST body (or query) as the command's input: 400 `validation_failed` with REST's paths when it is not one. */
export function parseRestInput<S extends z.ZodType>(schema: S, body: unknown, what = 'request body'): z.infer<S> {
  assertStorable(body, what);
  const result = schema.safeParse(camelCaseKeys(body ?? {}));
  if (!result.success) throw new ValidationError(`invalid ${what}`, restDetails(result.error));
  return result.data;
}

/** The same error with the paths of its details in REST's names (its class, code and status kept). */
function withRestPaths(error: AppError): AppError {
  const renamed = Object.create(Object.getPrototypeOf(error) as object, Object.getOwnPropertyDescriptors(error)) as AppError;
  Object.defineProperty(renamed, 'details', { value: error.details.map((detail) => ({ ...detail, path: restPath(detail.path) })), enumerable: true });
  return renamed;
}

/** Runs a command with a REST body as its input; the errors it reports name REST's fields. */
export async function restCommand<S extends z.ZodType, T>(schema: S, body: unknown, run: (input: z.infer<S>) => Promise<T>, what = 'request body'): Promise<T> {
  const input = parseRestInput(schema, body, what);
  try {
    return await run(input);
  } catch (error) {
    throw error instanceof AppError && error.details.length > 0 ? withRestPaths(error) : error;
  }
}
