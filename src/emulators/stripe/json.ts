/** JSON value types and the few structural helpers the emulator needs (clone, equality, diff). */

export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function cloneJson<T extends Json>(value: T): T {
  return structuredClone(value);
}

export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i] as Json));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const keysA = Object.keys(a);
    if (keysA.length !== Object.keys(b).length) return false;
    return keysA.every((key) => key in b && jsonEqual(a[key] as Json, b[key] as Json));
  }
  return false;
}

/**
 * Stripe's `previous_attributes`: for every attribute that changed, its value before the change.
 * Hashes (e.g. `metadata`, `address`) are diffed key by key, a key that did not exist before is
 * reported as `null`; arrays and scalars are reported whole. Returns null when nothing changed.
 */
export function previousAttributes(before: JsonObject, after: JsonObject): JsonObject | null {
  const out: JsonObject = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const oldValue = key in before ? (before[key] as Json) : null;
    const newValue = key in after ? (after[key] as Json) : null;
    if (jsonEqual(oldValue, newValue)) continue;
    if (isJsonObject(oldValue) && isJsonObject(newValue) && !isStripeObject(oldValue)) {
      const nested = previousAttributes(oldValue, newValue);
      if (nested) out[key] = nested;
    } else {
      out[key] = cloneJson(oldValue);
    }
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** An embedded API object or list (has `object`): Stripe reports it whole, not key by key. */
function isStripeObject(value: JsonObject): boolean {
  return typeof value['object'] === 'string';
}

/** JSON with object keys sorted, for comparing request parameters. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
