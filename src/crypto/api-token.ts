import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'syn_';

export function generateApiTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(24).toString('base64url');
}

export function hashApiToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** What lists show of a token: enough to tell tokens apart. */
export function apiTokenPrefix(secret: string): string {
  return secret.slice(0, TOKEN_PREFIX.length + 4);
}
