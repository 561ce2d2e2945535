/**
 * Zendesk's error bodies: `{"error": "RecordNotFound", "description": "Not found"}`,
 * `{"error": "RecordInvalid", "description": "…", "details": {field: [{description}]}}`,
 * `{"error": {"title": "…", "message": "…"}}` and `{"error": "Couldn't authenticate you"}`.
 */

import type { ErrorReader } from '../http-json.ts';

const CODES: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 422: 'unprocessable_entity', 429: 'too_many_requests' };

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value : null);

function details(value: unknown): string | null {
  if (!value || typeof value !== 'object') return null;
  const parts: string[] = [];
  for (const problems of Object.values(value as Record<string, unknown>)) {
    for (const problem of Array.isArray(problems) ? problems : [problems]) {
      const described = problem && typeof problem === 'object' ? text((problem as Record<string, unknown>).description) : text(problem);
      if (described) parts.push(described);
    }
  }
  return parts.length > 0 ? parts.join('; ') : null;
}

export const readZendeskError: ErrorReader = (status, body) => {
  const fallbackCode = CODES[status] ?? (status >= 500 ? 'upstream_error' : `http_${status}`);
  if (!body || typeof body !== 'object') return { message: `HTTP ${status}`, code: fallbackCode };
  const object = body as Record<string, unknown>;
  if (object.error && typeof object.error === 'object') {
    const error = object.error as Record<string, unknown>;
    return { message: text(error.message) ?? text(error.title) ?? `HTTP ${status}`, code: text(error.title) ?? fallbackCode };
  }
  const error = text(object.error);
  const description = details(object.details) ?? text(object.description);
  // A one-word error is Zendesk's code (RecordNotFound); a sentence is the message itself.
  const isCode = error !== null && /^\w+$/.test(error);
  return { message: description ?? error ?? `HTTP ${status}`, code: isCode ? error : fallbackCode };
};
