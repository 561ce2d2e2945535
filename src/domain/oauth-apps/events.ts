import type { Event } from '@event-driven-io/emmett';

export type OAuthAppCreated = Event<
  'OAuthAppCreated',
  {
    oauthAppId: string;
    accountId: string;
    provider: string;
    clientId: string;
    /** AES-256-GCM ciphertext */
    clientSecretSealed: string;
    clientSecretHint: string;
    createdAt: string;
  }
>;
export type OAuthAppDeleted = Event<'OAuthAppDeleted', { oauthAppId: string; accountId: string; deletedAt: string }>;

export type OAuthAppEvent = OAuthAppCreated | OAuthAppDeleted;
