import {
  removeNotificationWebhook,
  rotateNotificationSecret,
  rotateNotificationSecretInput,
  setNotificationWebhook,
  setNotificationWebhookInput,
} from '../commands/notification-webhooks.ts';
import {
  getNotificationWebhook,
  listNotificationDeliveries,
  presentNotificationDelivery,
  presentNotificationWebhook,
} from '../queries/notification-webhooks.ts';
import { notificationDeliveriesView, notificationWebhookView, notificationWebhookWithSecretView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { noContent, ok, type RestRoutes } from './rest.ts';

const PATH = '/v1/account/notification-webhook';
const badUrl = '`invalid_url`, `unsupported_url_scheme`, `url_credentials`, `https_required`, `unresolvable_host`, `egress_refused`';

/** The caller's account's notification webhook (docs/OPERATIONS.md "Notifications"). */
export function notificationWebhookRoutes(routes: RestRoutes): void {
  routes.on(
    'PUT',
    PATH,
    {
      summary: "Set the account's notification webhook",
      description:
        'Sync and consumer state changes (`sync.error`, `sync.recovered`, `sync.backfill_completed`, `consumer.error`, `consumer.recovered`, `consumer.dead_letters`) are POSTed to `url`, signed as webhook consumers\' deliveries are. The first set answers the signing secret (`secret`), shown this once; a later one changes the URL only.',
      body: restSchema(setNotificationWebhookInput),
      answers: { 200: { description: 'the webhook (with its secret when just made)', body: notificationWebhookWithSecretView } },
      errors: { 422: badUrl },
    },
    async (req) => {
      const { secret } = await restCommand(setNotificationWebhookInput, req.body, (input) => setNotificationWebhook(req.ctx, req.principal, input));
      return ok(presentNotificationWebhook(await getNotificationWebhook(req.ctx, req.principal), secret));
    },
  );
  const none = { 404: '`not_found`: no notification webhook is set' } as const;
  routes.on('GET', PATH, { summary: "The account's notification webhook", answers: { 200: { description: 'the webhook', body: notificationWebhookView } }, errors: none }, async (req) =>
    ok(presentNotificationWebhook(await getNotificationWebhook(req.ctx, req.principal))),
  );
  routes.on('DELETE', PATH, { summary: 'Stop notifications', answers: { 204: { description: 'removed' } }, errors: none }, async (req) => {
    await removeNotificationWebhook(req.ctx, req.principal);
    return noContent();
  });
  routes.on(
    'POST',
    `${PATH}/rotate-secret`,
    {
      summary: "Rotate the notification webhook's signing secret",
      description: 'A new secret, shown this once. The replaced one keeps signing beside it for `previous_secret_valid_ms` (default 24 hours; 0 for a leaked secret).',
      body: restSchema(rotateNotificationSecretInput),
      bodyOptional: true,
      answers: { 200: { description: 'the webhook and its new secret', body: notificationWebhookWithSecretView } },
      errors: none,
    },
    async (req) => {
      const { secret } = await restCommand(rotateNotificationSecretInput, req.body, (input) => rotateNotificationSecret(req.ctx, req.principal, input));
      return ok(presentNotificationWebhook(await getNotificationWebhook(req.ctx, req.principal), secret));
    },
  );
  routes.on(
    'GET',
    `${PATH}/deliveries`,
    { summary: 'The last notification attempts', description: 'At most 100, newest first.', answers: { 200: { description: 'the attempts', body: notificationDeliveriesView } } },
    async (req) => ok({ data: (await listNotificationDeliveries(req.ctx, req.principal)).map(presentNotificationDelivery) }),
  );
}
