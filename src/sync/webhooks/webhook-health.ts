import type { AppContext } from '../../app-context.ts';
import type { Sync } from '../../generated/prisma/client.ts';
import { currentRegistration } from './webhook-state.ts';

/**
 * Webhooks are healthy when a verified one arrived within `withinMs`, or when the registration
 * upstream is current for the sync's settings (docs/PROVIDER-WEBHOOKS.md, `reconcile_interval_ms`).
 */
export async function webhooksHealthy(ctx: AppContext, sync: Sync, withinMs: number): Promise<boolean> {
  const registration = currentRegistration(ctx.config, sync);
  if (registration?.state === 'registered' && (!registration.expiresAt || Date.parse(registration.expiresAt) > ctx.now().getTime())) return true;
  const runtime = await ctx.prisma.syncWebhookRuntime.findUnique({ where: { syncId: sync.id }, select: { lastVerifiedAt: true } });
  return runtime?.lastVerifiedAt != null && ctx.now().getTime() - runtime.lastVerifiedAt.getTime() <= withinMs;
}
