import { z } from 'zod';
import { receiveProviderWebhook } from '../sync/webhooks/receive-webhook.ts';
import { ok, type RestRoutes } from './rest.ts';

const receivedView = z.object({ received: z.literal(true), ignored: z.literal('sync_paused').optional() });

/** Provider webhooks in (docs/PROVIDER-WEBHOOKS.md): public, authenticated only by the provider's signature. */
export function providerWebhookRoutes(routes: RestRoutes): void {
  routes.onPublic(
    'POST',
    '/v1/webhooks/in/:sync_id',
    {
      summary: "A provider's webhook for a sync (no API token: the provider's signature authenticates it)",
      description:
        "The raw body is verified with the sync's provider signature scheme before anything parses it, then turned into hints: the ids of objects the sync's runner reads again upstream. Nothing the body says is written as data. A paused sync answers 200 and ignores it.",
      params: z.object({ sync_id: z.string().meta({ description: 'the sync, with webhooks enabled' }) }),
      rawBody: { description: 'the webhook exactly as the provider sends it (at most SYNCLINE_MAX_WEBHOOK_BODY_BYTES)' },
      command: false,
      answers: { 200: { description: 'verified; its hints queued (or a redelivery already seen, or a paused sync: `ignored`)', body: receivedView } },
      errors: {
        400: '`webhook_malformed`: verified but unreadable',
        401: '`webhook_signature_missing`, `webhook_signature_invalid`, `webhook_timestamp_outside_tolerance`',
        404: '`sync_not_found`: no such sync, or webhooks not enabled',
        413: '`payload_too_large`: body over SYNCLINE_MAX_WEBHOOK_BODY_BYTES',
      },
    },
    async (req) => {
      const answer = await receiveProviderWebhook(req.ctx, req.params.sync_id ?? '', req.raw);
      if ('reply' in answer) return { status: answer.reply.status, json: answer.reply.body, headers: { 'content-type': answer.reply.contentType } };
      return ok(answer.body, answer.status);
    },
  );
}
