/** Stripe's `expand[]`: replace id strings at dotted paths (`customer`, `data.customer`, `items.data.price.product`) with objects. */

import { errors } from './errors.ts';
import { isJsonObject, type Json, type JsonObject } from './json.ts';

export type Resolver = (id: string) => JsonObject | undefined;

const MAX_DEPTH = 4;

export function applyExpansions(root: JsonObject, paths: readonly string[], resolve: Resolver): JsonObject {
  let out = root;
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.some((s) => s.length === 0)) throw errors.notExpandable(path);
    const depth = segments.filter((s) => s !== 'data').length;
    if (depth > MAX_DEPTH) {
      throw errors.invalidRequest(`You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`, 'expand');
    }
    out = expandAt(out, segments, path, resolve) as JsonObject;
  }
  return out;
}

function expandAt(value: Json, segments: readonly string[], path: string, resolve: Resolver): Json {
  if (segments.length === 0) return value;
  if (Array.isArray(value)) return value.map((item) => expandAt(item, segments, path, resolve));
  if (typeof value === 'string') {
    const resolved = resolve(value);
    if (!resolved) throw errors.notExpandable(path);
    return expandAt(resolved, segments, path, resolve);
  }
  if (!isJsonObject(value)) return value;
  const [head, ...rest] = segments as [string, ...string[]];
  if (!(head in value)) throw errors.notExpandable(path);
  const child = value[head] as Json;
  if (child === null) return value;
  if (rest.length === 0) {
    if (typeof child === 'string') {
      const resolved = resolve(child);
      if (!resolved) throw errors.notExpandable(path);
      return { ...value, [head]: resolved };
    }
    if (isJsonObject(child) && typeof child['id'] === 'string') return value; // already an object
    throw errors.notExpandable(path);
  }
  return { ...value, [head]: expandAt(child, rest, path, resolve) };
}
