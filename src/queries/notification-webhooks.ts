import type { AppContext, Principal } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';

/** An account's notification webhook as both APIs show it: never a secret, only its hint. */
export interface NotificationWebhookView {
  url: string;
  secretHint: string;
  /** The secret a rotation replaced signs beside the new one until then. */
  previousSecretValidUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NotificationDeliveryView {
  at: Date;
  webhookId: string;
  type: string;
  status: number | null;
  latencyMs: number;
  error: string | null;
}

export async function findNotificationWebhook(ctx: AppContext, principal: Principal): Promise<NotificationWebhookView | null> {
  const { rows } = await ctx.pool.query<{ url: string; secret_hint: string; previous_secret_valid_until: Date | null; created_at: Date; updated_at: Date }>(
    'SELECT url, secret_hint, previous_secret_valid_until, created_at, updated_at FROM notification_webhooks WHERE account_id = $1',
    [principal.accountId],
  );
  const row = rows[0];
  return row
    ? { url: row.url, secretHint: row.secret_hint, previousSecretValidUntil: row.previous_secret_valid_until, createdAt: row.created_at, updatedAt: row.updated_at }
    : null;
}

export async function getNotificationWebhook(ctx: AppContext, principal: Principal): Promise<NotificationWebhookView> {
  const webhook = await findNotificationWebhook(ctx, principal);
  if (!webhook) throw new NotFoundError('notification webhook', 'account');
  return webhook;
}

/** The last attempts (at most 100), newest first. */
export async function listNotificationDeliveries(ctx: AppContext, principal: Principal): Promise<NotificationDeliveryView[]> {
  const { rows } = await ctx.pool.query<{ at: Date; webhook_id: string; type: string; status: number | null; latency_ms: number; error: string | null }>(
    'SELECT at, webhook_id, type, status, latency_ms, error FROM notification_deliveries WHERE account_id = $1 ORDER BY id DESC LIMIT 100',
    [principal.accountId],
  );
  return rows.map((r) => ({ at: r.at, webhookId: r.webhook_id, type: r.type, status: r.status, latencyMs: r.latency_ms, error: r.error }));
}

/** REST's snake_case shape. */
export const presentNotificationWebhook = (w: NotificationWebhookView, secret?: string | null) => ({
  url: w.url,
  secret_hint: w.secretHint,
  previous_secret_valid_until: w.previousSecretValidUntil?.toISOString() ?? null,
  created_at: w.createdAt.toISOString(),
  updated_at: w.updatedAt.toISOString(),
  ...(secret ? { secret } : {}),
});

export const presentNotificationDelivery = (d: NotificationDeliveryView) => ({
  at: d.at.toISOString(),
  webhook_id: d.webhookId,
  type: d.type,
  status: d.status,
  latency_ms: Math.round(d.latencyMs * 10) / 10,
  error: d.error,
});
