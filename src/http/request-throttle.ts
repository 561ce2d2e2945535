import type { AppContext, Principal } from '../app-context.ts';
import { hashApiToken } from '../crypto/api-token.ts';
import { TooManyRequestsError } from '../errors.ts';
import { addToLogContext } from '../logger.ts';
import { authenticate } from '../queries/api-tokens.ts';
import { AccountRateLimiter } from './account-rate-limiter.ts';
import { FailedAuthThrottle } from './failed-auth-throttle.ts';

interface RequestThrottle {
  rate: AccountRateLimiter;
  failedAuth: FailedAuthThrottle;
}

/** One throttle per running app (per AppContext), so that servers in one process keep their own. */
const throttles = new WeakMap<AppContext, RequestThrottle>();

function throttleOf(ctx: AppContext): RequestThrottle {
  let throttle = throttles.get(ctx);
  if (!throttle) {
    throttle = {
      rate: new AccountRateLimiter(ctx.config.SYNCLINE_API_REQUESTS_PER_SECOND),
      failedAuth: new FailedAuthThrottle(ctx.config.SYNCLINE_AUTH_FAILURES_PER_MINUTE),
    };
    // The operator's configured root token gets through a throttled address from the first request.
    if (ctx.config.SYNCLINE_API_TOKEN) throttle.failedAuth.rememberValid(hashApiToken(ctx.config.SYNCLINE_API_TOKEN));
    throttles.set(ctx, throttle);
  }
  return throttle;
}

/** For a graphql-ws connection: a throttled caller is refused like one without a token (4403); other errors stay errors. */
export function nullWhenThrottled(error: unknown): null {
  if (error instanceof TooManyRequestsError) return null;
  throw error;
}

const bearerSecret = (authorization: unknown): string | null =>
  (typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined) ?? null;

/**
 * The caller of a request (REST, GraphQL over HTTP, a graphql-ws connection or operation), or
 * null without a valid token, admitted by the request throttle; throws `TooManyRequestsError`
 * (429, `Retry-After`):
 * - `too_many_failed_authentications` when the client address is over its failed-token budget
 *   (`SYNCLINE_AUTH_FAILURES_PER_MINUTE`) and the token is not one recently seen valid here:
 *   refused before any database lookup, so a flood of bad tokens costs no queries;
 * - `rate_limited` when a non-root account is over `SYNCLINE_API_REQUESTS_PER_SECOND`.
 */
export async function admittedPrincipal(ctx: AppContext, clientAddress: string | undefined, authorization: unknown): Promise<Principal | null> {
  const throttle = throttleOf(ctx);
  const secret = bearerSecret(authorization);
  const tokenHash = secret === null ? null : hashApiToken(secret);
  const blockedFor = throttle.failedAuth.blockedFor(clientAddress);
  if (blockedFor !== null && !(tokenHash && throttle.failedAuth.isRecentlyValid(tokenHash))) {
    throw new TooManyRequestsError('too_many_failed_authentications', 'too many failed authentications from this address; retry later', blockedFor);
  }
  // The throttle's hash is the lookup's too: one SHA-256 a request.
  const principal = tokenHash === null ? null : await authenticate(ctx, tokenHash);
  if (!principal) {
    if (secret !== null) throttle.failedAuth.recordFailure(clientAddress);
    return null;
  }
  throttle.failedAuth.rememberValid(tokenHash!);
  addToLogContext({ accountId: principal.accountId });
  const throttled = operationThrottled(ctx, principal);
  if (throttled) throw throttled;
  return principal;
}

/**
 * Takes one request from the account's API rate for a caller already authenticated (a
 * graphql-ws operation on an open socket): the refusal to answer when it is over, else null.
 */
export function operationThrottled(ctx: AppContext, principal: Principal | null): TooManyRequestsError | null {
  if (!principal || principal.isRoot) return null;
  const retryAfter = throttleOf(ctx).rate.take(principal.accountId);
  if (retryAfter === null) return null;
  return new TooManyRequestsError('rate_limited', `over ${ctx.config.SYNCLINE_API_REQUESTS_PER_SECOND} API requests per second for this account; retry later`, retryAfter);
}
