/** Jira's error collection: `{"errorMessages": ["…"], "errors": {"field": "…"}}` (or plain text from the gateway). */

import type { ErrorReader } from '../http-json.ts';

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  429: 'too_many_requests',
};

export const readJiraError: ErrorReader = (status, body) => {
  const object = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const messages = Array.isArray(object.errorMessages) ? object.errorMessages.map(String) : [];
  const fieldErrors = object.errors && typeof object.errors === 'object' ? Object.entries(object.errors as Record<string, unknown>).map(([field, message]) => `${field}: ${String(message)}`) : [];
  const parts = [...messages, ...fieldErrors];
  const message = parts.length > 0 ? parts.join('; ') : typeof object.message === 'string' ? object.message : `HTTP ${status}`;
  return { message, code: CODES[status] ?? (status >= 500 ? 'upstream_error' : `http_${status}`) };
};
