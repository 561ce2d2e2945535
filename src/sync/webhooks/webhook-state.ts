import type { Config } from '../../config.ts';
import type { Sync } from '../../generated/prisma/client.ts';
import type { Provider } from '../providers/provider.ts';

/** Where providers send a sync's webhooks: `SYNCLINE_PUBLIC_URL` + the path, or the path alone without it. */
export const webhookPath = (syncId: string) => `/v1/webhooks/in/${syncId}`;

export const webhookUrl = (config: Config, syncId: string): string => `${config.SYNCLINE_PUBLIC_URL ?? ''}${webhookPath(syncId)}`;

/** `syncs.webhook_registration` as the syncs projection writes it. */
export interface StoredRegistration {
  state: 'registered' | 'failed';
  url: string;
  collectionIds: string[];
  /** The provider's RegisteredWebhook, sealed JSON; kept by a failed renewal. */
  registrationSealed: string | null;
  expiresAt: string | null;
  error: string | null;
  at: string;
}

export const storedRegistration = (sync: Pick<Sync, 'webhookRegistration'>): StoredRegistration | null =>
  (sync.webhookRegistration as StoredRegistration | null) ?? null;

export type RegistrationState = 'registered' | 'manual' | 'pending' | 'failed' | 'disabled';

/** A sync's webhooks as both APIs answer them (never the secret). */
export interface SyncWebhooks {
  enabled: boolean;
  url: string;
  registration: { state: RegistrationState; expiresAt: Date | null; error: string | null };
  signingSecretSet: boolean;
  reconcileIntervalMs: number | null;
  /** With `manual`: what the user does in the provider's settings. */
  manualSetup: string | null;
}

export const NO_PUBLIC_URL_SETUP =
  'Set SYNCLINE_PUBLIC_URL to the address the provider reaches this server at, and Syncline registers the webhook itself; ' +
  "or add `url` as a webhook endpoint in the provider's settings and give its signing secret as webhooks.signing_secret.";

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** The registration recorded for these settings (URL and collections), or null when it was for others. */
export function currentRegistration(config: Config, sync: Pick<Sync, 'id' | 'collectionIds' | 'webhookRegistration'>): StoredRegistration | null {
  const stored = storedRegistration(sync);
  if (!stored || stored.url !== webhookUrl(config, sync.id) || !sameIds(stored.collectionIds, sync.collectionIds)) return null;
  return stored;
}

/** Whether Syncline registers this sync's webhook upstream itself (else: manual, with the reason). */
export function registrationMode(config: Config, provider: Provider): { mode: 'register' } | { mode: 'manual'; setup: string | null } {
  if (!provider.webhooks?.register) return { mode: 'manual', setup: provider.webhooks?.manualSetup ?? null };
  if (!config.SYNCLINE_PUBLIC_URL) return { mode: 'manual', setup: NO_PUBLIC_URL_SETUP };
  return { mode: 'register' };
}

export function syncWebhooks(config: Config, provider: Provider | null, sync: Sync): SyncWebhooks {
  const base = {
    enabled: sync.webhooksEnabled,
    url: webhookUrl(config, sync.id),
    signingSecretSet: sync.webhookSigningSecretSealed !== null,
    reconcileIntervalMs: sync.webhookReconcileIntervalMs,
  };
  const none = { expiresAt: null, error: null };
  if (!sync.webhooksEnabled || !provider?.webhooks) return { ...base, registration: { state: 'disabled', ...none }, manualSetup: null };
  const mode = registrationMode(config, provider);
  if (mode.mode === 'manual') return { ...base, registration: { state: 'manual', ...none }, manualSetup: mode.setup };
  const current = currentRegistration(config, sync);
  if (!current) return { ...base, registration: { state: 'pending', ...none }, manualSetup: null };
  return {
    ...base,
    registration: { state: current.state, expiresAt: current.expiresAt ? new Date(current.expiresAt) : null, error: current.error },
    manualSetup: null,
  };
}
