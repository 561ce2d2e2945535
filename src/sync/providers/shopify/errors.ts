/** Shopify's error bodies: `{"errors": "…"}` or `{"errors": {field: ["…"] | "…"}}`. */

import type { ErrorReader } from '../http-json.ts';

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  402: 'payment_required',
  403: 'forbidden',
  404: 'not_found',
  406: 'not_acceptable',
  409: 'conflict',
  422: 'unprocessable_entity',
  423: 'locked',
  429: 'too_many_requests',
};

function describe(errors: unknown): string | null {
  if (typeof errors === 'string') return errors;
  if (Array.isArray(errors)) return errors.map(String).join('; ');
  if (errors && typeof errors === 'object') {
    return Object.entries(errors as Record<string, unknown>)
      .map(([field, messages]) => `${field} ${Array.isArray(messages) ? messages.map(String).join(', ') : String(messages)}`)
      .join('; ');
  }
  return null;
}

export const readShopifyError: ErrorReader = (status, body) => {
  const object = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const message = describe(object.errors) ?? describe(object.error) ?? `HTTP ${status}`;
  return { message, code: CODES[status] ?? (status >= 500 ? 'upstream_error' : `http_${status}`) };
};
