/**
 * Ack tokens of a lease batch (migration 0032): UUIDs of version 8,
 * `bbbbbbbb-bbbb-8iii-nnnn-nnnnnnnnnnnn` — the batch id (48 bits), the message's index in the
 * batch (12 bits) and the batch's 62-bit nonce behind the RFC 9562 variant bits. PostgreSQL writes
 * the same tokens (`syncline_batch_ack_token`) when it turns a batch into per-message leases.
 * Per-message leases keep random (version 4) tokens.
 */
export interface BatchTokenParts {
  batchId: string;
  index: number;
  nonce: string;
}

const VARIANT = 1n << 63n;
const NONCE_BITS = (1n << 62n) - 1n;

/**
 * The tokens of one batch, by index: the batch's parts are written once. `batchId` and `nonce`
 * are bigints, as text or BigInt (whichever the pg type parsers give).
 */
export function batchAckTokens(batchId: string | bigint, nonce: string | bigint): (index: number) => string {
  const id = BigInt(batchId).toString(16).padStart(12, '0');
  const n = (BigInt(nonce) | VARIANT).toString(16);
  const head = `${id.slice(0, 8)}-${id.slice(8)}-8`;
  const tail = `-${n.slice(0, 4)}-${n.slice(4)}`;
  return (index) => `${head}${index.toString(16).padStart(3, '0')}${tail}`;
}

/**
 * The parts of a batch token; null for any other token. `token` is a UUID in its text form. The
 * parts of the batch before are reused when the token names the same batch (an ack's tokens
 * mostly do), found by comparing the two tokens in place: no string is built per token.
 */
export function batchAckTokenParser(): (token: string) => BatchTokenParts | null {
  let last: { token: string; batchId: string; nonce: string } | null = null;
  return (token) => {
    const index = batchTokenIndex(token);
    if (index < 0) return null;
    if (!last || !sameBatch(token, last.token)) {
      const hex = token.replaceAll('-', '');
      last = { token, batchId: BigInt(`0x${hex.slice(0, 12)}`).toString(), nonce: (BigInt(`0x${hex.slice(16)}`) & NONCE_BITS).toString() };
    }
    return { batchId: last.batchId, index, nonce: last.nonce };
  };
}

/** The index of a batch token (characters 15–17, hex); -1 when `token` is not a batch token. */
export function batchTokenIndex(token: string): number {
  if (token.length !== 36 || token[14] !== '8' || !'89abAB'.includes(token[19]!)) return -1;
  let index = 0;
  for (let i = 15; i < 18; i++) {
    const c = token.charCodeAt(i) | 0x20; // lower case
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    index = index * 16 + digit;
  }
  return index;
}

/** Two batch tokens of the same batch: equal but for the index (characters 15–17). */
export function sameBatch(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((i < 15 || i > 17) && a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}
