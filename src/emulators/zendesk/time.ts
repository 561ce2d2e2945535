/** Zendesk writes times in UTC with whole seconds (`2024-11-10T18:38:00Z`); exports take unix seconds. */

export function zendeskTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A time the emulator wrote → unix seconds (0 when it is not a time). */
export function secondsOf(time: unknown): number {
  const ms = typeof time === 'string' ? Date.parse(time) : NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
