/**
 * The headers a webhook consumer adds to every delivery (an `authorization` for the receiver,
 * a routing key…): their syntax, limits and the names Syncline sets itself. Values are secrets:
 * sealed at rest, answered as hints.
 */
import { z } from 'zod';
import { UnprocessableError } from '../errors.ts';

export const MAX_HEADERS = 20;
export const MAX_HEADER_VALUE_BYTES = 4 * 1024;
export const MAX_HEADERS_BYTES = 16 * 1024;

/** Set by the delivery itself (body, Standard Webhooks signature) or by the connection: a consumer cannot replace them. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

export const headerName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name: letters, digits and !#$%&\'*+.^_`|~-');
export const headerValue = z
  .string()
  .max(MAX_HEADER_VALUE_BYTES)
  .regex(/^[\t\x20-\x7e]*$/, 'printable ASCII (no line breaks)');

export const headersInput = z.record(headerName, headerValue).meta({ description: `header name → value; at most ${MAX_HEADERS}, ${MAX_HEADERS_BYTES} bytes in all` });
/** PATCH: each name given sets (or with `null` removes) that header; the others are kept. */
export const headersPatchInput = z.record(headerName, headerValue.nullable()).meta({ description: 'header name → value, or null to remove that header; headers not named are kept' });

export type Headers = Record<string, string>;

/** Names lowercased (HTTP names are case-insensitive): one value per name. */
export function normalizeHeaders(given: Record<string, string | null>, path = 'headers'): Record<string, string | null> {
  const normalized: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(given)) {
    const lower = name.toLowerCase();
    if (lower in normalized) throw new UnprocessableError('duplicate_header', `header "${lower}" is given twice`, [{ path: `${path}.${name}`, message: 'given twice' }]);
    normalized[lower] = value;
  }
  return normalized;
}

/** Throws a 422 when a header is reserved or the set exceeds the limits. */
export function checkHeaders(headers: Headers): void {
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADERS.has(name)) {
      throw new UnprocessableError('reserved_header', `header "${name}" is set by Syncline and cannot be replaced`, [{ path: `headers.${name}`, message: 'reserved' }]);
    }
  }
  const count = Object.keys(headers).length;
  const bytes = Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
  if (count > MAX_HEADERS || bytes > MAX_HEADERS_BYTES) {
    throw new UnprocessableError('headers_too_large', `at most ${MAX_HEADERS} headers of at most ${MAX_HEADERS_BYTES} bytes in all (names and values); given ${count}, ${bytes} bytes`, [
      { path: 'headers', message: 'too large' },
    ]);
  }
}
