import { credentialKinds } from '../domain/credentials/kinds.ts';
import { providers } from '../sync/providers/registry.ts';

/** What a credential of `kind` must carry: its secrets, then its metadata keys (`metadata.shop`). */
export function requiredFields(kind: string): string[] {
  return [...(credentialKinds[kind]?.requiredSecrets ?? []), ...(credentialKinds[kind]?.requiredMetadata.map((m) => `metadata.${m}`) ?? [])];
}

export function listProviders() {
  return providers.map((p) => ({
    name: p.name,
    display_name: p.displayName,
    credential_kinds: p.credentialKinds.map((kind) => ({
      kind,
      required: requiredFields(kind),
      /** At least one of these secrets (e.g. `zendesk_oauth2`: an access token, or a refresh token to obtain one). */
      required_one_of: credentialKinds[kind]?.requiredOneOf ?? [],
      needs_oauth_app: credentialKinds[kind]?.requiresOAuthApp ?? false,
    })),
    collections: p.collections.map((c) => ({ id: c.id, name: c.name, mutations: c.mutations })),
    /** The OAuth connect flow (`GET /v1/oauth/{provider}/authorize`), for providers that have one. */
    oauth: p.oauth ? { credential_kind: p.oauth.credentialKind, default_scopes: p.oauth.defaultScopes } : null,
    /** Its signed webhooks (docs/PROVIDER-WEBHOOKS.md), for providers that send them. */
    webhooks: p.webhooks ? { registration: p.webhooks.register ? ('automatic' as const) : ('manual' as const), manual_setup: p.webhooks.manualSetup ?? null } : null,
    default_rate_limit: {
      allowed_requests: p.defaultRateLimit.allowedRequests,
      interval: p.defaultRateLimit.intervalSeconds,
      max_concurrent_requests: p.defaultRateLimit.maxConcurrentRequests,
    },
  }));
}
