import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM envelope for secrets at rest: `v1.<iv>.<tag>.<ciphertext>` (base64url parts).
 * Used for credential and OAuth-app secrets both in events and in read models.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('secret key must be 32 bytes');
    this.key = key;
  }

  /** Accepts 64 hex chars or base64 of 32 bytes (what `openssl rand -base64 32` prints). */
  static fromEncodedKey(encoded: string): SecretBox {
    const trimmed = encoded.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
    if (key.length !== 32) {
      throw new Error('SYNCLINE_SECRET_KEY must be 32 bytes as 64 hex characters or base64');
    }
    return new SecretBox(key);
  }

  static generateEncodedKey(): string {
    return randomBytes(32).toString('base64');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('malformed sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  sealJson(value: Record<string, string>): string {
    return this.seal(JSON.stringify(value));
  }

  openJson(sealed: string): Record<string, string> {
    return JSON.parse(this.open(sealed)) as Record<string, string>;
  }
}

/** Secrets shorter than this get no visible characters in their hint. */
export const HINT_MIN_SECRET_LENGTH = 12;
const HINT_VISIBLE_CHARACTERS = 4;

/**
 * `sk_live_…4f2a` → `…4f2a`: the last 4 characters, enough to tell two secrets apart, too few to
 * use one; nothing at all (`…`) of a secret under 12 characters.
 */
export function secretHint(secret: string): string {
  // By code point: slicing UTF-16 units could cut an emoji in half (a lone surrogate cannot be stored).
  const chars = Array.from(secret);
  if (chars.length < HINT_MIN_SECRET_LENGTH) return '…';
  return `…${chars.slice(-HINT_VISIBLE_CHARACTERS).join('')}`;
}

/**
 * A stored hint as it may be shown: hints written before the rule above (`sk_l…7dc`, 7 characters
 * whatever the secret's length, still in older events) show nothing, as their secret's length is unknown.
 */
export function currentHint(hint: string): string {
  return hint.startsWith('…') ? hint : '…';
}

/** `currentHint` over every value of a hints object. */
export function currentHints<T extends Record<string, string | undefined>>(hints: T): T {
  return Object.fromEntries(Object.entries(hints).map(([field, hint]) => [field, typeof hint === 'string' ? currentHint(hint) : hint])) as T;
}
