/**
 * Jira's times: fields carry `2024-11-10T18:38:00.070+0000` (ms, offset without a colon); JQL
 * takes `"yyyy/MM/dd HH:mm"` — minute precision, in the time zone of the searching user's
 * profile (GET /myself `timeZone`), not UTC.
 */

/** A Jira field time → unix ms, or null. */
export function parseJiraTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : null;
}

export const MINUTE_MS = 60_000;

export const floorMinute = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** The minute of `ms` as a JQL date in `timeZone` (an unknown zone falls back to UTC). */
export function jqlMinute(ms: number, timeZone: string): string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  } catch {
    format = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}/${get('month')}/${get('day')} ${get('hour')}:${get('minute')}`;
}
