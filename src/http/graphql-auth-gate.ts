import type { IncomingMessage, ServerResponse } from 'node:http';
import { UnauthorizedError } from '../errors.ts';
import type { Principal } from '../commands/context.ts';
import type { Logger } from '../logger.ts';

/** What yoga receives with an admitted request (its server context): the caller, looked up once. */
export interface AdmittedGraphQLRequest {
  principal: Principal | null;
}

/** GraphiQL's page (GET, `Accept: text/html`): static HTML, nothing is parsed (yoga's own test). */
const asksForGraphiQL = (req: IncomingMessage) => req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

/**
 * Authenticates a `/graphql` request before yoga reads its body: a request without a valid
 * bearer token is answered 401 at once, so an anonymous caller never gets a document parsed or
 * validated. Exempt: GraphiQL's page and CORS preflights, which carry no document (the web
 * console signs in with a token, so it needs nothing before that).
 *
 * Answers the admitted request's principal, or null once it has answered the request itself.
 */
export function createGraphQLAuthGate(authenticate: (authorization: string | undefined) => Promise<Principal | null>, logger: Logger) {
  return async function admit(req: IncomingMessage, res: ServerResponse): Promise<AdmittedGraphQLRequest | null> {
    if (asksForGraphiQL(req) || req.method === 'OPTIONS') return { principal: null };
    let principal: Principal | null;
    try {
      principal = await authenticate(req.headers.authorization);
    } catch (error) {
      logger.error({ err: error }, 'GraphQL authentication failed');
      answer(res, 500, { message: 'internal error', extensions: { code: 'internal', status: 500, details: [] } });
      return null;
    }
    if (principal) return { principal };
    const refusal = new UnauthorizedError();
    answer(res, 401, { message: refusal.message, extensions: { code: refusal.code, status: refusal.status, details: [] } }, { 'www-authenticate': 'Bearer' });
    return null;
  };
}

/**
 * A GraphQL-over-HTTP error answer. The unread body is discarded by Node as it arrives (never
 * buffered); closing the connection instead would cut the client off while it still uploads.
 */
function answer(res: ServerResponse, status: number, error: { message: string; extensions: Record<string, unknown> }, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ errors: [error] }));
}
