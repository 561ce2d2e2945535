/**
 * Under vitest every call is checked against the OpenAPI document (test/support/openapi-check.ts):
 * an answer or a refusal that is not as documented fails the test that made the call.
 * SYNCLINE_OPENAPI_CHECK=0 turns it off; benchmarks (run outside vitest) never load it.
 */
const checkAgainstOpenApi = process.env.VITEST !== undefined && process.env.SYNCLINE_OPENAPI_CHECK !== '0';
const openApiCheck = checkAgainstOpenApi ? import('./openapi-check.ts') : null;

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny REST client over real HTTP. */
export function restClient(baseUrl: string, token: string | null) {
  async function call<T = any>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${baseUrl}${path}`, {
      ...init,
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (openApiCheck) {
      (await openApiCheck).assertDocumented({
        method,
        target: path,
        requestHeaders: headers,
        requestBody: body,
        status: response.status,
        responseHeaders: response.headers,
        responseText: text,
      });
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }
  return {
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body?: unknown, init?: RequestInit) => call<T>('POST', path, body ?? {}, init),
    patch: <T = any>(path: string, body: unknown) => call<T>('PATCH', path, body),
    delete: <T = any>(path: string) => call<T>('DELETE', path),
    raw: call,
  };
}

export type RestClient = ReturnType<typeof restClient>;

/** GraphQL over HTTP POST. */
export function graphqlClient(baseUrl: string, token: string | null) {
  return async <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<{ data: T; errors?: any[] }> => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data: T; errors?: any[] };
  };
}
