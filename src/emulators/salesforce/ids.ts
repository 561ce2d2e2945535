/** Salesforce record ids: a 3-character key prefix, 12 more, and the 3-character case checksum (18 in all). */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 18-character form of a 15-character id: one letter per 5 characters telling which are upper case. */
export function withChecksum(id15: string): string {
  if (id15.length !== 15) throw new Error(`a 15-character id expected, got ${id15}`);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i] as string;
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += CHECKSUM[bits];
  }
  return id15 + suffix;
}

/** Issues ids per key prefix (`003` Contact, `001` Account…) from a counter, like an org's pod does. */
export class IdSequence {
  private next = new Map<string, number>();

  constructor(
    /** The org's 2-character instance part after the prefix, e.g. `5g`. */
    private readonly pod: string,
    private readonly start: number,
  ) {}

  issue(keyPrefix: string): string {
    const n = this.next.get(keyPrefix) ?? this.start;
    this.next.set(keyPrefix, n + 1);
    let digits = '';
    for (let v = n; digits.length < 10; v = Math.floor(v / 62)) digits = BASE62[v % 62] + digits;
    return withChecksum(`${keyPrefix}${this.pod}${digits}`);
  }
}

/** true when `id` is a well-formed 15- or 18-character id with the given prefix. */
export function isIdOf(keyPrefix: string, id: string): boolean {
  if (!/^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$/.test(id) || !id.startsWith(keyPrefix)) return false;
  return id.length === 15 || withChecksum(id.slice(0, 15)) === id;
}

/** The 18-character form of a 15- or 18-character id. */
export const canonicalId = (id: string): string => (id.length === 15 ? withChecksum(id) : id);

/** A Salesforce datetime as answers carry it: `2024-11-10T18:38:00.000+0000` (kept to the second). */
export function sfDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('Z', '+0000');
}

export function parseSfDateTime(value: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})$/.exec(value);
  if (!m) return null;
  const zone = m[4] === 'Z' ? 'Z' : (m[4] as string).replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}
