/*
 * GraphQL input as a command takes it. GraphQL tells a field given as `null` from one left out;
 * a command's schema refuses a key it does not know even when its value is undefined.
 */

/** Without the fields left out. */
export function withoutUndefined(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

/** Without the fields left out or given as `null` (for fields where null means nothing more). */
export function withoutNulls(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined && value !== null));
}
