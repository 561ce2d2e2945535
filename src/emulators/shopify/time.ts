/**
 * Shopify writes times in the shop's time zone with its offset and whole seconds
 * (`2024-11-10T13:38:00-05:00`); the emulator's shop is fixed at UTC-05:00.
 */

const OFFSET_MINUTES = -5 * 60;

/** Unix seconds → Shopify's ISO 8601 with the shop's offset. */
export function shopifyTime(seconds: number): string {
  const local = new Date((seconds + OFFSET_MINUTES * 60) * 1000).toISOString().slice(0, 19);
  const sign = OFFSET_MINUTES < 0 ? '-' : '+';
  const abs = Math.abs(OFFSET_MINUTES);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A query parameter time (any ISO 8601) → unix seconds (fractions dropped), or null when it is not a time. */
export function parseQueryTime(value: string): number | null {
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** A time the emulator wrote back → unix seconds. */
export function secondsOf(time: unknown): number {
  return typeof time === 'string' ? Math.floor(Date.parse(time) / 1000) : 0;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
