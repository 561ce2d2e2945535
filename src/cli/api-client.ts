/**
 * The CLI's REST client for a running server (docs/API.md): one request at a time, JSON in and
 * out, every failure turned into a one-line CommandFailure that says what to check.
 */
import { z } from 'zod';
import { CommandFailure, UsageError } from './cli-errors.ts';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:7376';
const REQUEST_TIMEOUT_MS = 30_000;

export interface ServerConnection {
  /** The server's base URL, without a trailing slash. */
  url: string;
  token: string;
}

/** Options every command that talks to the server takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
} as const;

export const CONNECTION_USAGE = `  --url URL            the server (default: $SYNCLINE_URL, else ${DEFAULT_SERVER_URL})
  --token TOKEN        the API token (default: $SYNCLINE_TOKEN, else $SYNCLINE_API_TOKEN);
                       prefer the environment: arguments show in the process list`;

/** The server and token from the options, else the environment; a usage error when neither gives a token. */
export function serverConnection(options: { url?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv, usage: string): ServerConnection {
  const rawUrl = options.url ?? env.SYNCLINE_URL ?? DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url / SYNCLINE_URL is not a URL: "${rawUrl}"`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url / SYNCLINE_URL must be http or https, got "${url.protocol}"`, usage);
  const token = options.token ?? (env.SYNCLINE_TOKEN || undefined) ?? (env.SYNCLINE_API_TOKEN || undefined);
  if (!token) throw new UsageError('no API token: set SYNCLINE_TOKEN (or pass --token)', usage);
  return { url: url.toString().replace(/\/+$/, ''), token };
}

/** Why a request did not reach the server, from undici's `fetch failed` and its cause. */
function unreachable(url: string, error: unknown): CommandFailure {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : null;
  const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (code ?? (cause instanceof Error ? cause.message : String(cause)));
  return new CommandFailure(`cannot reach the Syncline server at ${url} (${why}): is it running? Set SYNCLINE_URL or --url`);
}

/** The server answered with an error status (docs/API.md's `{"error": {code, message}}`). */
export class ApiRefusal extends CommandFailure {
  constructor(
    readonly status: number,
    body: unknown,
  ) {
    const error = typeof body === 'object' && body !== null && 'error' in body ? (body as { error: { code?: unknown; message?: unknown } }).error : null;
    const cause = error ? `${String(error.code)}: ${String(error.message)}` : `HTTP ${status}`;
    const hint = status === 401 ? ' (check SYNCLINE_TOKEN or --token)' : '';
    super(`the server answered ${status} ${cause}${hint}`);
    this.name = 'ApiRefusal';
  }
}

export class ApiClient {
  constructor(private readonly connection: ServerConnection) {}

  /** Sends one request; answers the parsed body (undefined for 204), or throws CommandFailure. */
  async request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    let response: Response;
    try {
      response = await fetch(`${this.connection.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(this.connection.url, error);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CommandFailure(`${method} ${path} answered ${response.status} with a body that is not JSON: is ${this.connection.url} a Syncline server?`);
    }
    if (!response.ok) throw new ApiRefusal(response.status, parsed);
    const checked = schema.safeParse(parsed);
    if (!checked.success) throw new CommandFailure(`${method} ${path} answered in a shape this CLI does not know (${checked.error.issues[0]?.message ?? 'invalid'}): is the server the same version?`);
    return checked.data;
  }

  /** Every item of a paginated list (`{data, next_cursor}`), following the cursor. */
  async listAll<S extends z.ZodType>(path: string, item: S, { pageSize = 1000 } = {}): Promise<z.infer<S>[]> {
    const page = z.object({ data: z.array(item), next_cursor: z.string().nullable() });
    const items: z.infer<S>[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(pageSize), ...(cursor ? { cursor } : {}) });
      const separator = path.includes('?') ? '&' : '?';
      const answer: z.infer<typeof page> = await this.request('GET', `${path}${separator}${query}`, page);
      items.push(...answer.data);
      cursor = answer.next_cursor;
    } while (cursor);
    return items;
  }
}
