import type { AppContext } from '../../app-context.ts';

/**
 * A verified webhook arrived within `withinMs` (docs/PROVIDER-WEBHOOKS.md, `reconcile_interval_ms`;
 * a current registration upstream counts as healthy too: the runner's WebhookRegistrar knows).
 */
export async function webhooksHealthy(ctx: AppContext, syncId: string, withinMs: number): Promise<boolean> {
  const runtime = await ctx.prisma.syncWebhookRuntime.findUnique({ where: { syncId }, select: { lastVerifiedAt: true } });
  return runtime?.lastVerifiedAt != null && ctx.now().getTime() - runtime.lastVerifiedAt.getTime() <= withinMs;
}
