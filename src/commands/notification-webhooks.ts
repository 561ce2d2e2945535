import { z } from 'zod';
import { secretHint } from '../crypto/secret-box.ts';
import { notificationWebhookDecider } from '../domain/notification-webhooks/decide.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';
import { newWebhookSecret, rotateWebhookSecretInput, type RotateWebhookSecretInput } from './webhook-consumers.ts';
import { checkWebhookUrl, webhookUrlInput } from './webhook-url.ts';

const handleNotificationWebhook = commandHandler('notification-webhook', notificationWebhookDecider);

/** `PUT /v1/account/notification-webhook`: where the account's notifications go (docs/OPERATIONS.md "Notifications"). */
export const setNotificationWebhookInput = z.object({ url: webhookUrlInput }).strict();
export type SetNotificationWebhookInput = z.infer<typeof setNotificationWebhookInput>;

export { rotateWebhookSecretInput as rotateNotificationSecretInput };

/**
 * Sets the account's notification webhook (its URL checked as a webhook consumer's is). The first
 * set makes its signing secret, returned in clear this once; a later one changes only the URL
 * (`secret` null).
 */
export async function setNotificationWebhook(ctx: AppContext, principal: Principal, input: SetNotificationWebhookInput): Promise<{ secret: string | null }> {
  const url = await checkWebhookUrl(ctx.config, input.url);
  const secret = newWebhookSecret();
  const events = await handleNotificationWebhook(ctx.eventStore, principal.accountId, {
    type: 'SetNotificationWebhook',
    data: { accountId: principal.accountId, url, newSecret: { secretSealed: ctx.secretBox.seal(secret), secretHint: secretHint(secret) } },
    metadata: { now: ctx.now() },
  });
  return { secret: events.some((event) => event.type === 'NotificationWebhookSet') ? secret : null };
}

/** A new signing secret, in clear this once; the replaced one keeps signing for the grace period asked. */
export async function rotateNotificationSecret(ctx: AppContext, principal: Principal, input: RotateWebhookSecretInput): Promise<{ secret: string }> {
  const secret = newWebhookSecret();
  await handleNotificationWebhook(ctx.eventStore, principal.accountId, {
    type: 'RotateNotificationSecret',
    data: { accountId: principal.accountId, secretSealed: ctx.secretBox.seal(secret), secretHint: secretHint(secret), previousValidMs: input.previousSecretValidMs },
    metadata: { now: ctx.now() },
  });
  return { secret };
}

export async function removeNotificationWebhook(ctx: AppContext, principal: Principal): Promise<void> {
  await handleNotificationWebhook(ctx.eventStore, principal.accountId, {
    type: 'RemoveNotificationWebhook',
    data: { accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}
