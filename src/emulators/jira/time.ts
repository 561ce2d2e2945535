/**
 * Jira's times: fields are written `2024-11-10T18:38:00.070+0000` (milliseconds, offset without
 * a colon; the emulator writes UTC), and JQL dates (`"2024/11/10 18:38"`, `"2024-11-10"`, `-5m`)
 * are read in the time zone of the user who searches (minute precision).
 */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Unix ms → Jira's field format, in UTC. */
export function jiraTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`;
}

/** Jira's field format (or any ISO 8601) → unix ms, NaN when it is not a time. */
export function parseJiraTime(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/** Offset (ms) of `timeZone` from UTC at the instant `utcMs`. */
function offsetMs(timeZone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(utcMs / 1000) * 1000;
}

/** A wall-clock time in `timeZone` → unix ms. */
export function zonedToUtc(timeZone: string, year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let utc = wall - offsetMs(timeZone, wall);
  utc = wall - offsetMs(timeZone, utc);
  return utc;
}

const ABSOLUTE = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/;
const RELATIVE = /^([+-]?)(\d+)([wdhm])$/;
const UNIT_MS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000 };

/** A JQL date value → unix ms (minute precision), or null when JQL would refuse it. */
export function parseJqlDate(value: string, timeZone: string, now: number): number | null {
  const trimmed = value.trim();
  const absolute = ABSOLUTE.exec(trimmed);
  if (absolute) {
    const [, y, mo, d, h = '0', mi = '0'] = absolute;
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
    return zonedToUtc(timeZone, Number(y), month, day, hour, minute);
  }
  const relative = RELATIVE.exec(trimmed);
  if (relative) {
    const [, sign, amount, unit] = relative;
    const delta = Number(amount) * (UNIT_MS[unit as string] as number);
    return Math.floor((sign === '-' ? now - delta : now + delta) / 60_000) * 60_000;
  }
  return null;
}
