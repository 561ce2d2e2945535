import { z } from 'zod';
import type { getWebhookConsumer, getWebhookConsumerWithSecret, listWebhookConsumers, listWebhookDeadLetters, listWebhookDeliveries } from '../../queries/webhook-consumers.ts';
import type { AllHold, Presents } from './presents.ts';
import { messageShape, page, sinkStatusFields, timestamp } from './responses.ts';
import { deadLetterPage, deliveryPage } from './sink-responses.ts';

/* The webhook consumers' REST answers (DESIGN.md §7b), beside the other answers of responses.ts. */

const id = z.uuid();
const hint = z.string().meta({ description: 'the last 4 characters (`…7f2a`), `…` for a short value' });

export const webhookConsumerView = z
  .object({
    id,
    name: z.string(),
    stream_id: id,
    sync_id: id.nullable(),
    collection_ids: z.array(z.string()).nullable().meta({ description: 'null: every collection' }),
    provider: z.string().nullable().meta({ description: 'null: every provider' }),
    url: z.string(),
    headers: z.record(z.string(), hint).meta({ description: 'header name → a hint of its value (values are sealed)' }),
    secret_hint: hint.meta({ description: 'a hint of the signing secret (`whsec_…`), which is shown only when created or rotated' }),
    previous_secret_valid_until: timestamp.nullable().meta({ description: 'until then deliveries also carry a signature with the secret the last rotation replaced' }),
    batch_size: z.number().int().min(1).max(1000),
    timeout_ms: z.number().int(),
    max_deliver: z.number().int().meta({ description: '-1: retry forever' }),
    retry_window_ms: z.number().int(),
    max_in_flight: z.number().int(),
    ...messageShape,
    deliver_policy: z.enum(['all', 'new', 'by_start_time', 'by_start_idx']).meta({ description: 'the start position of the creation or the last reset' }),
    opt_start_time: timestamp.nullable(),
    opt_start_idx: z.number().int().nullable(),
    reset_count: z.number().int().min(0),
    ...sinkStatusFields,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'WebhookConsumer' });

export const webhookConsumerWithSecretView = webhookConsumerView
  .extend({ secret: z.string().regex(/^whsec_/).meta({ description: 'the signing secret (Standard Webhooks), shown this once' }) })
  .meta({ id: 'WebhookConsumerWithSecret' });

export const webhookConsumerPage = page(webhookConsumerView, 'WebhookConsumer');

const webhookId = 'the batch: its `webhook-id` header, the same on every attempt at it';
export const webhookDeliveryPage = deliveryPage('webhook_id', webhookId, 'Webhook');
export const webhookDeadLetterPage = deadLetterPage('webhook_id', `the last batch that held it (${webhookId})`, 'Webhook');

type Answer<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

/** Each presenter against its schema: `tsc` fails here when one drifts from the other. */
export type WebhookConsumerPresenterChecks = AllHold<
  [
    Presents<typeof webhookConsumerView, Answer<typeof getWebhookConsumer>>,
    Presents<typeof webhookConsumerWithSecretView, Answer<typeof getWebhookConsumerWithSecret>>,
    Presents<ReturnType<typeof page<typeof webhookConsumerView>>, Answer<typeof listWebhookConsumers>>,
    Presents<typeof webhookDeliveryPage, Answer<typeof listWebhookDeliveries>>,
    Presents<typeof webhookDeadLetterPage, Answer<typeof listWebhookDeadLetters>>,
  ]
>;
