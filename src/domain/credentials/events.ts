import type { Event } from '@event-driven-io/emmett';

/** Secret fields never appear in clear: `secretsSealed` is AES-256-GCM ciphertext. */
export type CredentialFields = {
  kind: string;
  name: string | null;
  oauthAppId: string | null;
  apiBaseUrl: string | null;
  metadata: Record<string, unknown>;
  secretsSealed: string;
  secretHints: Record<string, string>;
};

export type CredentialAdded = Event<'CredentialAdded', { credentialId: string; accountId: string; addedAt: string } & CredentialFields>;
export type CredentialUpdated = Event<'CredentialUpdated', { credentialId: string; accountId: string; updatedAt: string } & CredentialFields>;
/** OAuth tokens refreshed (or obtained by the connect flow): secrets and token facts only; the credential's version (`updated_at`) stays. */
export type CredentialTokensRefreshed = Event<
  'CredentialTokensRefreshed',
  { credentialId: string; accountId: string; refreshedAt: string; secretsSealed: string; secretHints: Record<string, string>; metadata: Record<string, unknown> }
>;
export type CredentialDeleted = Event<'CredentialDeleted', { credentialId: string; accountId: string; deletedAt: string }>;

export type CredentialEvent = CredentialAdded | CredentialUpdated | CredentialTokensRefreshed | CredentialDeleted;
