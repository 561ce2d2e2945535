/** The few REST calls the console makes (the OAuth connect flow is REST only). */
export class RestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function restGet<T>(token: string, path: string, parse: (body: unknown) => T): Promise<T> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message = isErrorBody(body) ? body.error.message : `${path} answered ${response.status}`;
    throw new RestError(response.status, message);
  }
  return parse(body);
}

function isErrorBody(body: unknown): body is { error: { message: string } } {
  return typeof body === 'object' && body !== null && 'error' in body && typeof (body as { error: { message?: unknown } }).error?.message === 'string';
}

export interface AuthorizeAnswer {
  authorize_url: string;
  state: string;
}

export function parseAuthorizeAnswer(body: unknown): AuthorizeAnswer {
  const value = body as Partial<AuthorizeAnswer> | null;
  if (!value || typeof value.authorize_url !== 'string' || typeof value.state !== 'string') throw new Error('unexpected answer from /v1/oauth/…/authorize');
  return { authorize_url: value.authorize_url, state: value.state };
}

/** Asks the server for the provider's consent URL; the callback will come back to `returnTo?credential_id=…`. */
export function startOAuthConnect(token: string, options: { provider: string; oauthAppId: string; returnTo: string; apiBaseUrl?: string; name?: string }): Promise<AuthorizeAnswer> {
  const params = new URLSearchParams({
    oauth_app_id: options.oauthAppId,
    redirect_uri: `${window.location.origin}/v1/oauth/${encodeURIComponent(options.provider)}/callback`,
    return_to: options.returnTo,
  });
  if (options.apiBaseUrl) params.set('api_base_url', options.apiBaseUrl);
  if (options.name) params.set('name', options.name);
  return restGet(token, `/v1/oauth/${encodeURIComponent(options.provider)}/authorize?${params.toString()}`, parseAuthorizeAnswer);
}
