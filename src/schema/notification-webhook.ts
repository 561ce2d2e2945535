import {
  removeNotificationWebhook,
  rotateNotificationSecret,
  rotateNotificationSecretInput,
  setNotificationWebhook,
  setNotificationWebhookInput,
} from '../commands/notification-webhooks.ts';
import { parseInput } from '../commands/parse-input.ts';
import { findNotificationWebhook, getNotificationWebhook, listNotificationDeliveries, type NotificationDeliveryView, type NotificationWebhookView } from '../queries/notification-webhooks.ts';
import { builder, requirePrincipal } from './builder.ts';
import { withoutNulls } from './input.ts';

/** The account's notification webhook (docs/OPERATIONS.md "Notifications"): never its secret, only a hint. */
const NotificationWebhook = builder.objectRef<NotificationWebhookView>('NotificationWebhook').implement({
  description: "Where the account's sync and consumer state changes are POSTed, signed as webhook consumers' deliveries are.",
  fields: (t) => ({
    url: t.exposeString('url'),
    secretHint: t.exposeString('secretHint', { description: 'a hint of the signing secret, which is shown only when set and rotated' }),
    previousSecretValidUntil: t.expose('previousSecretValidUntil', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const NotificationDelivery = builder.objectRef<NotificationDeliveryView>('NotificationDelivery').implement({
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    webhookId: t.exposeString('webhookId'),
    type: t.exposeString('type'),
    status: t.exposeInt('status', { nullable: true }),
    latencyMs: t.exposeFloat('latencyMs'),
    error: t.exposeString('error', { nullable: true }),
  }),
});

/** The set and rotate answers: the signing secret exists in clear only here (null: kept). */
const NotificationWebhookWithSecret = builder.objectRef<{ webhook: NotificationWebhookView; secret: string | null }>('NotificationWebhookWithSecret').implement({
  fields: (t) => ({
    webhook: t.field({ type: NotificationWebhook, resolve: (answer) => answer.webhook }),
    secret: t.exposeString('secret', { nullable: true, description: 'the signing secret (`whsec_…`), shown once: when first set and when rotated' }),
  }),
});

builder.queryFields((t) => ({
  notificationWebhook: t.field({
    type: NotificationWebhook,
    nullable: true,
    description: "The account's notification webhook; null when none is set.",
    resolve: (_root, _args, ctx) => findNotificationWebhook(ctx.app, requirePrincipal(ctx)),
  }),
  notificationDeliveries: t.field({
    type: [NotificationDelivery],
    description: 'The last notification attempts (at most 100), newest first.',
    resolve: (_root, _args, ctx) => listNotificationDeliveries(ctx.app, requirePrincipal(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  setNotificationWebhook: t.field({
    type: NotificationWebhookWithSecret,
    description: 'Sets where notifications go. The first set makes the signing secret (answered once); a later one changes the URL only.',
    args: { url: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const principal = requirePrincipal(ctx);
      const { secret } = await setNotificationWebhook(ctx.app, principal, parseInput(setNotificationWebhookInput, { url: args.url }, 'input'));
      return { webhook: await getNotificationWebhook(ctx.app, principal), secret };
    },
  }),
  rotateNotificationWebhookSecret: t.field({
    type: NotificationWebhookWithSecret,
    args: { previousSecretValidMs: t.arg.float({ description: 'the replaced secret keeps signing this long (default 24 hours; 0: stop at once)' }) },
    resolve: async (_root, args, ctx) => {
      const principal = requirePrincipal(ctx);
      const input = parseInput(rotateNotificationSecretInput, withoutNulls({ previousSecretValidMs: args.previousSecretValidMs }), 'input');
      const { secret } = await rotateNotificationSecret(ctx.app, principal, input);
      return { webhook: await getNotificationWebhook(ctx.app, principal), secret };
    },
  }),
  removeNotificationWebhook: t.boolean({
    description: 'Stops notifications.',
    resolve: async (_root, _args, ctx) => {
      await removeNotificationWebhook(ctx.app, requirePrincipal(ctx));
      return true;
    },
  }),
}));
