import type { AppContext } from '../../app-context.ts';
import type { Sync } from '../../generated/prisma/client.ts';
import { writeContext } from '../mutation-session.ts';
import { loadProviderCredential } from '../provider-credential.ts';
import { findProvider } from '../providers/registry.ts';
import { forgetWebhookState } from './hint-store.ts';
import { removeRegistration } from './registration.ts';
import { storedRegistration } from './webhook-state.ts';

/**
 * After a sync is deleted: its webhook registration is removed upstream with its credential (best
 * effort: when that fails, the provider's deliveries get 404 from the receiving route, and
 * providers stop sending to an endpoint that keeps failing), and its hints, delivery ids and
 * counters are dropped.
 */
export async function forgetDeletedSyncWebhooks(ctx: AppContext, sync: Sync): Promise<void> {
  const stored = storedRegistration(sync);
  const provider = findProvider(sync.provider);
  if (stored && provider?.webhooks?.unregister) {
    const credential = await loadProviderCredential(ctx, sync.credentialId).catch(() => null);
    if (credential) await removeRegistration(ctx, provider, writeContext(ctx, sync, credential), stored, sync.id);
    else ctx.logger.warn({ syncId: sync.id }, 'webhook registration left upstream: the credential is gone');
  }
  await forgetWebhookState(ctx.pool, sync.id);
}
