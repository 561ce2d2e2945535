/**
 * What a sync's `last_error` says about a failed upstream call: the error and its causes
 * (fetch's "fetch failed" hides ECONNREFUSED, DNS, TLS and timeout errors in `cause`, the
 * Stripe SDK in `detail`), without credentials.
 */

const MAX_DEPTH = 6;
const MAX_LENGTH = 500;

const SECRETS: [RegExp, string][] = [
  [/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\b(sk|rk|pk|whsec)_(live|test)_[A-Za-z0-9]+/g, '$1_$2_[redacted]'],
  [/(\/\/)[^/@\s:]+:[^/@\s]+@/g, '$1[redacted]@'],
  [/([?&](?:access_token|api_key|apikey|key|token|client_secret|password)=)[^&\s]+/gi, '$1[redacted]'],
];

export function redactSecrets(text: string): string {
  return SECRETS.reduce((redacted, [pattern, replacement]) => redacted.replace(pattern, replacement), text);
}

function causesOf(error: object): unknown[] {
  const record = error as { cause?: unknown; detail?: unknown; errors?: unknown };
  const next: unknown[] = [];
  if (record.cause !== undefined) next.push(record.cause);
  if (record.detail instanceof Error) next.push(record.detail);
  // Happy eyeballs tries each address; the first refusal says enough.
  if (Array.isArray(record.errors) && record.errors.length > 0) next.push(record.errors[0]);
  return next;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    // System and library codes (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, CERT_HAS_EXPIRED), not our API codes.
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return typeof error === 'string' ? error : '';
}

export function upstreamErrorMessage(error: unknown): string {
  const parts: string[] = [];
  let level: unknown[] = [error];
  const seen = new Set<unknown>();
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const item of level) {
      if (seen.has(item)) continue;
      seen.add(item);
      const text = describe(item).trim();
      if (text && !parts.some((part) => part.includes(text))) parts.push(text);
      if (item && typeof item === 'object') next.push(...causesOf(item));
    }
    level = next;
  }
  const message = redactSecrets(parts.join(': ') || 'unknown upstream error');
  return message.length > MAX_LENGTH ? `${message.slice(0, MAX_LENGTH - 1)}…` : message;
}
