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
 * mostly do).
 */
export function batchAckTokenParser(): (token: string) => BatchTokenParts | null {
  let last: { key: string; batchId: string; nonce: string } | null = null;
  return (token) => {
    if (token[14] !== '8' || !'89abAB'.includes(token[19]!)) return null;
    const key = token.slice(0, 14) + token.slice(19);
    if (last?.key !== key) {
      const hex = token.replaceAll('-', '');
      last = { key, batchId: BigInt(`0x${hex.slice(0, 12)}`).toString(), nonce: (BigInt(`0x${hex.slice(16)}`) & NONCE_BITS).toString() };
    }
    return { batchId: last.batchId, index: Number.parseInt(token.slice(15, 18), 16), nonce: last.nonce };
  };
}
