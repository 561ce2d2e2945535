import type { ErrorReader } from '../http-json.ts';

/** One entry of Salesforce's REST error body: `[{message, errorCode, fields?}]`. */
export interface SalesforceErrorEntry {
  message: string;
  errorCode: string;
  fields?: string[];
}

function entries(body: unknown): SalesforceErrorEntry[] {
  const list = Array.isArray(body) ? body : body && typeof body === 'object' ? [body] : [];
  return list.flatMap((e: unknown) => {
    if (!e || typeof e !== 'object') return [];
    const { message, errorCode, fields } = e as Record<string, unknown>;
    if (typeof errorCode !== 'string') return [];
    return [{ message: typeof message === 'string' ? message : errorCode, errorCode, ...(Array.isArray(fields) ? { fields: fields.filter((f): f is string => typeof f === 'string') } : {}) }];
  });
}

/** REST errors: the first entry's code; every entry's message (with the fields it names). */
export const readSalesforceError: ErrorReader = (status, body) => {
  const list = entries(body);
  if (list.length === 0) return { message: `HTTP ${status}`, code: `http_${status}` };
  const message = list.map((e) => (e.fields && e.fields.length > 0 ? `${e.message} (${e.fields.join(', ')})` : e.message)).join('; ');
  return { message, code: list[0]!.errorCode };
};

/** The OAuth endpoints answer `{error, error_description}` instead. */
export const readOAuthError: ErrorReader = (status, body) => {
  const object = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const code = typeof object.error === 'string' ? object.error : `http_${status}`;
  const message = typeof object.error_description === 'string' ? `${code}: ${object.error_description}` : code;
  return { message, code };
};

/**
 * Salesforce answers an exhausted API request allowance with 403 REQUEST_LIMIT_EXCEEDED (not
 * 429); every other 403 is a permission problem.
 */
export function isSalesforceRateLimited(answer: { status: number; headers: Headers; body: string }): boolean {
  if (answer.status !== 403) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body) as unknown;
  } catch {
    return false;
  }
  return entries(parsed).some((e) => e.errorCode === 'REQUEST_LIMIT_EXCEEDED');
}
