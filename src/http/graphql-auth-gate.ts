import type { IncomingMessage, ServerResponse } from 'node:http';
import { LengthRequiredError, PayloadTooLargeError, TooManyRequestsError, UnauthorizedError, type AppError } from '../errors.ts';
import type { Principal } from '../app-context.ts';
import type { Logger } from '../logger.ts';

/** What yoga receives with an admitted request (its server context): the caller, looked up once. */
export interface AdmittedGraphQLRequest {
  principal: Principal | null;
}

/** GraphiQL's page (GET, `Accept: text/html`): static HTML, nothing is parsed (yoga's own test). */
const asksForGraphiQL = (req: IncomingMessage) => req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

export interface GraphQLGateOptions {
  /** The caller from the request's Authorization header; throws TooManyRequestsError when the request throttle refuses it. */
  authenticate: (req: IncomingMessage) => Promise<Principal | null>;
  /** Largest body yoga may read (it buffers the whole body, so the limit is checked first). */
  maxBodyBytes: number;
  logger: Logger;
}

/**
 * Checks a `/graphql` request before yoga reads its body: a body over the limit (or of unknown
 * length) is refused, and a request without a valid bearer token is answered 401 at once, so an
 * anonymous caller never gets a document parsed or validated. Exempt from the token: GraphiQL's
 * page and CORS preflights, which carry no document (the web console signs in with a token, so it
 * needs nothing before that).
 *
 * Answers the admitted request's principal, or null once it has answered the request itself.
 */
export function createGraphQLAuthGate({ authenticate, maxBodyBytes, logger }: GraphQLGateOptions) {
  return async function admit(req: IncomingMessage, res: ServerResponse): Promise<AdmittedGraphQLRequest | null> {
    if (asksForGraphiQL(req) || req.method === 'OPTIONS') return { principal: null };
    const refusedBody = bodyRefusal(req, maxBodyBytes);
    if (refusedBody) {
      refuse(res, refusedBody);
      return null;
    }
    let principal: Principal | null;
    try {
      principal = await authenticate(req);
    } catch (error) {
      if (error instanceof TooManyRequestsError) {
        refuse(res, error, { 'retry-after': String(error.retryAfterSeconds) });
        return null;
      }
      logger.error({ err: error }, 'GraphQL authentication failed');
      answer(res, 500, { message: 'internal error', extensions: { code: 'internal', status: 500, details: [] } });
      return null;
    }
    if (principal) return { principal };
    refuse(res, new UnauthorizedError(), { 'www-authenticate': 'Bearer' });
    return null;
  };
}

/** Node reads exactly `content-length` bytes; a chunked body has no length to check beforehand. */
function bodyRefusal(req: IncomingMessage, maxBodyBytes: number): AppError | null {
  if (req.headers['transfer-encoding'] !== undefined) return new LengthRequiredError('a GraphQL request body needs a Content-Length (chunked bodies are not accepted)');
  const length = Number(req.headers['content-length'] ?? 0);
  return length > maxBodyBytes ? new PayloadTooLargeError(maxBodyBytes) : null;
}

function refuse(res: ServerResponse, error: AppError, headers: Record<string, string> = {}): void {
  answer(res, error.status, { message: error.message, extensions: { code: error.code, status: error.status, details: [] } }, headers);
}

/**
 * A GraphQL-over-HTTP error answer. The unread body is discarded by Node as it arrives (never
 * buffered); closing the connection instead would cut the client off while it still uploads.
 */
function answer(res: ServerResponse, status: number, error: { message: string; extensions: Record<string, unknown> }, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ errors: [error] }));
}
