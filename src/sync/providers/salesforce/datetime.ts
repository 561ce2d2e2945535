/**
 * Salesforce datetimes: answers carry `2024-11-10T18:38:00.000+0000`; SOQL takes unquoted
 * literals such as `2024-11-10T18:38:00Z`; the deleted resource takes ISO 8601.
 */

/** Milliseconds since the epoch of a Salesforce datetime, or null when it is not one. */
export function parseSalesforceDate(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? null : ms;
}

/** A SOQL datetime literal (whole seconds, UTC): Salesforce keeps datetimes to the second. */
export function soqlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ISO 8601 for the deleted resource's `start` / `end` (whole seconds, UTC). */
export function isoSeconds(ms: number): string {
  return soqlDateTime(ms).replace(/Z$/, '+00:00');
}

/** A SOQL string literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
