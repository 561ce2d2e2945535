/**
 * Registers Zendesk webhooks through the Webhooks and Triggers APIs (all through the sync's fetch).
 *
 * Zendesk connects a webhook either to event subscriptions or to triggers, never both, so a sync
 * of every collection makes:
 * - a trigger webhook (`subscriptions: ["conditional_ticket_events"]`) and a ticket trigger that
 *   runs on every ticket create and update and notifies it with TICKET_TRIGGER_BODY;
 * - an events webhook subscribed to the user and organization events, and to the ticket delete
 *   events (triggers do not run when a ticket is deleted).
 * Each webhook has its own signing secret (`GET /api/v2/webhooks/{id}/signing_secret`); the
 * registration keeps both, separated by a space (see webhook-signature.ts).
 */

import { UpstreamRequestError, type ProviderContext, type RegisteredWebhook } from '../provider.ts';
import { ZendeskClient } from './client.ts';
import { subscribedEventTypes, TICKET_TRIGGER_BODY } from './webhook-events.ts';

/** `externalIds` entries: `webhook:<id>` and `trigger:<id>`, so that unregister knows what to delete. */
const WEBHOOK = 'webhook:';
const TRIGGER = 'trigger:';

interface WebhookAnswer {
  webhook?: { id?: unknown };
}
interface SigningSecretAnswer {
  signing_secret?: { algorithm?: unknown; secret?: unknown };
}
interface TriggerAnswer {
  trigger?: { id?: unknown };
}

export async function registerZendeskWebhooks(
  context: ProviderContext,
  input: { url: string; collectionIds: string[]; previous: RegisteredWebhook | null },
): Promise<RegisteredWebhook> {
  const client = ZendeskClient.connect(context);
  const made: string[] = [];
  const secrets: string[] = [];
  try {
    if (input.collectionIds.includes('zendesk:ticket')) {
      const webhookId = await createWebhook(client, { name: 'Syncline: ticket changes', endpoint: input.url, subscriptions: ['conditional_ticket_events'] });
      made.push(`${WEBHOOK}${webhookId}`);
      secrets.push(await signingSecret(client, webhookId));
      made.push(`${TRIGGER}${await createTicketTrigger(client, webhookId, input.url)}`);
    }
    const eventTypes = subscribedEventTypes(input.collectionIds);
    if (eventTypes.length > 0) {
      const webhookId = await createWebhook(client, { name: 'Syncline: user and organization events', endpoint: input.url, subscriptions: eventTypes });
      made.push(`${WEBHOOK}${webhookId}`);
      secrets.push(await signingSecret(client, webhookId));
    }
  } catch (error) {
    // Leave nothing half made behind (a retried registration would otherwise add more).
    await removeAll(client, made).catch(() => undefined);
    throw error;
  }
  // Replaced only once the new ones exist: no change goes unsent in between.
  if (input.previous) await removeAll(client, input.previous.externalIds);
  return { externalIds: made, secret: secrets.join(' '), expiresAt: null };
}

export async function unregisterZendeskWebhooks(context: ProviderContext, registered: RegisteredWebhook): Promise<void> {
  await removeAll(ZendeskClient.connect(context), registered.externalIds);
}

async function createWebhook(client: ZendeskClient, webhook: { name: string; endpoint: string; subscriptions: string[] }): Promise<string> {
  const body = { webhook: { ...webhook, http_method: 'POST', request_format: 'json', status: 'active' } };
  const answer = await client.request<WebhookAnswer>('POST', client.url('webhooks'), body);
  return idOf(answer.body?.webhook?.id, 'webhook');
}

async function signingSecret(client: ZendeskClient, webhookId: string): Promise<string> {
  const answer = await client.get<SigningSecretAnswer>(client.url(`webhooks/${encodeURIComponent(webhookId)}/signing_secret`));
  const secret = answer.body?.signing_secret?.secret;
  if (typeof secret !== 'string' || secret === '') throw new Error('Zendesk answered a webhook signing secret without "secret"');
  return secret;
}

/** A trigger on every ticket create and update whose action notifies the webhook (`notification_webhook`). */
async function createTicketTrigger(client: ZendeskClient, webhookId: string, url: string): Promise<string> {
  const trigger = {
    title: `Syncline: notify ${url}`,
    description: 'Tells Syncline which ticket changed (created by Syncline; removed when its sync stops taking webhooks).',
    active: true,
    conditions: {
      all: [],
      any: [
        { field: 'update_type', operator: 'is', value: 'Create' },
        { field: 'update_type', operator: 'is', value: 'Change' },
      ],
    },
    actions: [{ field: 'notification_webhook', value: [webhookId, TICKET_TRIGGER_BODY] }],
  };
  const answer = await client.request<TriggerAnswer>('POST', client.url('triggers.json'), { trigger });
  return idOf(answer.body?.trigger?.id, 'trigger');
}

/** Triggers first (a trigger pointing at a deleted webhook would fail), then webhooks; 404 counts as removed. */
async function removeAll(client: ZendeskClient, externalIds: readonly string[]): Promise<void> {
  const triggers = externalIds.filter((id) => id.startsWith(TRIGGER)).map((id) => `triggers/${encodeURIComponent(id.slice(TRIGGER.length))}.json`);
  const webhooks = externalIds.filter((id) => id.startsWith(WEBHOOK)).map((id) => `webhooks/${encodeURIComponent(id.slice(WEBHOOK.length))}`);
  for (const path of [...triggers, ...webhooks]) {
    try {
      await client.request<unknown>('DELETE', client.url(path));
    } catch (error) {
      if (!(error instanceof UpstreamRequestError && error.status === 404)) throw error;
    }
  }
}

function idOf(value: unknown, what: string): string {
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
  throw new Error(`Zendesk answered a ${what} create without its id`);
}
