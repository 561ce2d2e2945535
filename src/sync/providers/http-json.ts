/**
 * JSON over the engine's fetch for providers without an SDK that takes a custom fetch: one place
 * that turns answers into the engine's errors (401/403 → UpstreamAuthError, other 4xx/5xx →
 * UpstreamRequestError) and refuses bodies that are not whole JSON (a truncated answer is retried
 * by the sync runner like any failed step).
 */

import { readOnly } from '../http/upstream-fetch.ts';
import { UpstreamAuthError, UpstreamRequestError } from './provider.ts';

export interface JsonRequest {
  method?: string;
  url: string | URL;
  headers?: Record<string, string>;
  /** Sent as JSON; a URLSearchParams is sent form-encoded. */
  body?: unknown;
  /** A POST that changes nothing upstream (a search): the engine may repeat it after a 5xx. */
  readOnly?: boolean;
}

export interface JsonAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * How a provider reads its error bodies: a message and a machine-readable code. `body` is the
 * parsed JSON object or array, or undefined: an answer that is not structured JSON (an HTML page,
 * a proxy's or an internal service's text) is never read, so none of it reaches a tenant.
 */
export type ErrorReader = (status: number, body: unknown) => { message: string; code: string };

/** The most of a provider's own error message (and code) that reaches a sync's `last_error` or an answer. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 500;
const MAX_UPSTREAM_CODE_CHARS = 100;

/** An upstream's error text, cut to `max` characters. */
export function boundedUpstreamText(text: string, max = MAX_UPSTREAM_MESSAGE_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const defaultErrorReader: ErrorReader = (status, body) => {
  const object = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const message = typeof object.message === 'string' ? object.message : `HTTP ${status}`;
  const code = typeof object.error === 'string' ? object.error : typeof object.code === 'string' ? object.code : `http_${status}`;
  return { message, code };
};

export async function requestJson<T>(fetch: typeof globalThis.fetch, request: JsonRequest, readError: ErrorReader = defaultErrorReader): Promise<JsonAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = request.body.toString();
  } else if (request.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(request.body);
  }
  const init: RequestInit = { method: request.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) };
  const response = await fetch(request.url, request.readOnly ? readOnly(init) : init);
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text.trim() !== '') {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      if (response.ok) throw new Error(`${request.method ?? 'GET'} ${new URL(request.url).pathname}: the upstream answered ${response.status} with a body that is not whole JSON`);
      parsed = text;
    }
  }
  if (!response.ok) {
    const structured = parsed !== null && typeof parsed === 'object' ? parsed : undefined;
    const read = readError(response.status, structured);
    const message = boundedUpstreamText(read.message);
    const code = boundedUpstreamText(read.code, MAX_UPSTREAM_CODE_CHARS);
    if (response.status === 401 || response.status === 403) throw new UpstreamAuthError(message, response.status);
    throw new UpstreamRequestError(message, response.status, code);
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** The `rel="next"` URL of an RFC 8288 `Link` header (GitHub, Shopify), or null. */
export function nextLink(headers: Headers): string | null {
  const link = headers.get('link');
  if (!link) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && /\brel="?next"?/.test(match[2] as string)) return match[1] as string;
  }
  return null;
}
