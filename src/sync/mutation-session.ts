import type { AppContext } from '../app-context.ts';
import type { RateLimit } from '../domain/syncs/events.ts';
import type { Sync } from '../generated/prisma/client.ts';
import { createUpstreamFetch } from './http/upstream-fetch.ts';
import { egressFetch } from '../net/egress-fetch.ts';
import type { ProviderContext, ProviderCredential, ProviderSession } from './providers/provider.ts';
import { requireProvider } from './providers/registry.ts';
import { oauthTokenSource } from './oauth/token-source.ts';
import { rateLimiters } from './rate-limiters.ts';

/**
 * Mutations answer a caller who waits: fewer retries of 5xx / network errors than a sync step
 * (every write carries an idempotency key, so a retry by the caller stays safe).
 */
const MUTATION_ATTEMPTS = 3;

/** A provider session for writing to a sync's upstream, under the same rate limiter as the sync's runner. */
export function openMutationSession(ctx: AppContext, sync: Sync, credential: ProviderCredential): ProviderSession {
  return requireProvider(sync.provider).connect(writeContext(ctx, sync, credential));
}

/** What a write upstream on a caller's request goes through (a mutation, removing a webhook registration): the sync's rate limiter, fewer retries. */
export function writeContext(ctx: AppContext, sync: Sync, credential: ProviderCredential): ProviderContext {
  const provider = requireProvider(sync.provider);
  const fetch = createUpstreamFetch({
    limiter: rateLimiters.forSync(sync.id, sync.rateLimit as RateLimit, ctx.pool),
    fetch: egressFetch(ctx.config),
    ...(provider.isRateLimited ? { isRateLimited: provider.isRateLimited } : {}),
    ...(provider.quotaPauseMs ? { quotaPauseMs: provider.quotaPauseMs } : {}),
    // Writes are never abandoned half-way: an aborted write leaves the caller unsure whether it happened.
    signal: new AbortController().signal,
    maxAttempts: MUTATION_ATTEMPTS,
    maxBodyBytes: ctx.config.SYNCLINE_MAX_UPSTREAM_BODY_BYTES,
    onEvent: (event) => {
      ctx.logger.debug({ syncId: sync.id, ...event }, 'upstream request event (mutation)');
      if (event.type === 'rate_limited') ctx.logger.info({ syncId: sync.id, waitMs: event.waitMs }, 'upstream rate limit: waiting');
    },
  });
  return { credential, fetch, oauth: oauthTokenSource(ctx, provider, sync.credentialId, credential, fetch) };
}
