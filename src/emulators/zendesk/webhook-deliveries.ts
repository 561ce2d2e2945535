/**
 * What Zendesk sends for each change the emulator makes (random or through its API):
 * - Zendesk events (`zen:event-type:ticket.created`, `user.tags_changed`, `organization.created`…)
 *   to every active webhook subscribed to the event type, as
 *   `{type, account_id, id, time, zendesk_event_version, subject: "zen:user:42", detail, event}`;
 * - for a ticket create or update, every active trigger whose conditions hold runs its
 *   `notification_webhook` actions: the action's body, its `{{ticket.…}}` placeholders rendered,
 *   to the action's webhook (one connected to triggers);
 * - everything to the command line's `--webhook-url`, as to an events webhook subscribed to every
 *   ticket, user and organization event type.
 * Each attempt carries Zendesk's headers and is signed afresh: `X-Zendesk-Webhook-Signature` =
 * base64(HMAC-SHA256(secret, X-Zendesk-Webhook-Signature-Timestamp + body)).
 */

import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookEndpoint, WebhookSender } from '../kit/webhook-sender.ts';
import type { ZendeskObject } from './objects.ts';
import type { StoreChange, ZendeskCollection } from './store.ts';
import { nowSeconds, zendeskTime } from './time.ts';
import { CONDITIONAL_TICKET_EVENTS, type StoredTrigger, type StoredWebhook, type TriggerCondition, type ZendeskWebhookRoutes } from './webhook-routes.ts';

/** The version Zendesk stamps on its event payloads. */
const EVENT_VERSION = '2022-11-06';
const STATUS_ORDER = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];

interface ZendeskEvent {
  type: string;
  kind: ZendeskCollection;
  object: ZendeskObject;
  event: Record<string, unknown>;
}

export class ZendeskWebhookDeliveries {
  /** Numeric like Zendesk's (`8350205582`), from the clock so that a restarted emulator does not repeat them. */
  private invocations = Date.now() * 1000;

  constructor(
    private readonly sender: WebhookSender,
    private readonly routes: ZendeskWebhookRoutes,
    /** `--webhook-url` (with `--webhook-secret`), or null. */
    private readonly cli: WebhookEndpoint | null,
    private readonly accountId: number,
  ) {}

  /** Sends what Zendesk sends for one write of the store. */
  changed(change: StoreChange): void {
    for (const event of eventsOf(change)) {
      const body = JSON.stringify(this.eventPayload(event));
      for (const webhook of this.routes.webhooks) {
        if (webhook.status === 'active' && webhook.subscriptions.includes(event.type)) this.send(endpointOf(webhook), body);
      }
      if (this.cli) this.send(this.cli, body);
    }
    if (change.kind === 'ticket' && change.action !== 'deleted') this.runTriggers(change.action === 'created' ? 'Create' : 'Change', change);
  }

  private runTriggers(updateType: 'Create' | 'Change', change: StoreChange): void {
    for (const trigger of this.routes.triggers) {
      if (!trigger.active || !conditionsHold(trigger, updateType, change)) continue;
      for (const action of trigger.actions) {
        if (action.field !== 'notification_webhook' || !Array.isArray(action.value)) continue;
        const [webhookId, template] = action.value as unknown[];
        const webhook = typeof webhookId === 'string' ? this.routes.webhook(webhookId) : undefined;
        // The sender POSTs JSON: webhooks made for another method or format are not called.
        if (!webhook || webhook.status !== 'active' || !webhook.subscriptions.includes(CONDITIONAL_TICKET_EVENTS)) continue;
        if (webhook.http_method !== 'POST' || webhook.request_format !== 'json' || typeof template !== 'string') continue;
        this.send(endpointOf(webhook), renderPlaceholders(template, change.object));
      }
    }
  }

  private send(endpoint: WebhookEndpoint, body: string): void {
    const invocationId = String(this.invocations++);
    this.sender.send({
      endpoint,
      deliveryId: invocationId,
      body,
      sign: (_attempt, signed) => {
        const timestamp = zendeskTime(nowSeconds());
        return {
          'user-agent': 'Zendesk Webhook',
          'x-zendesk-account-id': String(this.accountId),
          'x-zendesk-webhook-id': endpoint.id,
          'x-zendesk-webhook-invocation-id': invocationId,
          'x-zendesk-webhook-signature': createHmac('sha256', endpoint.secret).update(timestamp + signed).digest('base64'),
          'x-zendesk-webhook-signature-timestamp': timestamp,
        };
      },
    });
  }

  private eventPayload(event: ZendeskEvent): Record<string, unknown> {
    return {
      type: event.type,
      account_id: this.accountId,
      id: randomUUID(),
      time: zendeskTime(nowSeconds()),
      zendesk_event_version: EVENT_VERSION,
      subject: `zen:${event.kind}:${String(event.object.id)}`,
      detail: detailOf(event.kind, event.object),
      event: event.event,
    };
  }
}

function endpointOf(webhook: StoredWebhook): WebhookEndpoint {
  return { id: webhook.id, url: webhook.endpoint, secret: webhook.secret, events: webhook.subscriptions };
}

/** Field changes Zendesk has an event for; other fields change without one (polling catches them). */
const TICKET_FIELD_EVENTS: [string, string][] = [
  ['status', 'status_changed'],
  ['priority', 'priority_changed'],
  ['subject', 'subject_changed'],
  ['tags', 'tags_changed'],
  ['type', 'type_changed'],
  ['assignee_id', 'agent_assignment_changed'],
  ['group_id', 'group_assignment_changed'],
  ['organization_id', 'organization_changed'],
  ['requester_id', 'requester_changed'],
  ['submitter_id', 'submitter_changed'],
  ['external_id', 'external_id_changed'],
  ['custom_fields', 'custom_field_changed'],
  ['due_at', 'task_due_at_changed'],
  ['problem_id', 'problem_link_changed'],
  ['brand_id', 'brand_changed'],
  ['ticket_form_id', 'form_changed'],
];
const USER_FIELD_EVENTS: [string, string][] = [
  ['name', 'name_changed'],
  ['tags', 'tags_changed'],
  ['notes', 'notes_changed'],
  ['time_zone', 'time_zone_changed'],
  ['role', 'role_changed'],
  ['external_id', 'external_id_changed'],
  ['alias', 'alias_changed'],
  ['details', 'details_changed'],
  ['suspended', 'suspended_changed'],
  ['default_group_id', 'default_group_changed'],
  ['user_fields', 'custom_field_changed'],
];
// Zendesk has no event for an organization's notes, details, domains or sharing settings.
const ORGANIZATION_FIELD_EVENTS: [string, string][] = [
  ['name', 'name_changed'],
  ['tags', 'tags_changed'],
  ['external_id', 'external_id_changed'],
  ['organization_fields', 'custom_field_changed'],
];
const FIELD_EVENTS: Record<ZendeskCollection, [string, string][]> = { ticket: TICKET_FIELD_EVENTS, user: USER_FIELD_EVENTS, organization: ORGANIZATION_FIELD_EVENTS };

function eventsOf(change: StoreChange): ZendeskEvent[] {
  const { kind, object, previous } = change;
  const event = (name: string, details: Record<string, unknown> = {}): ZendeskEvent => ({ type: `zen:event-type:${kind}.${name}`, kind, object, event: details });
  if (change.action === 'created') return [event('created')];
  if (change.action === 'deleted') {
    if (kind === 'ticket') return [event('soft_deleted')];
    // A deleted user is deactivated (`active: false`): Zendesk's soft delete.
    if (kind === 'user') return [event('active_changed', { previous: true, current: false })];
    return [event('deleted')];
  }
  const before = previous ?? {};
  return FIELD_EVENTS[kind]
    .filter(([field]) => JSON.stringify(before[field]) !== JSON.stringify(object[field]))
    .map(([field, name]) => event(name, { previous: before[field] ?? null, current: object[field] ?? null }));
}

const idText = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** The object's fields an event's `detail` carries (ids as strings, as Zendesk sends them). */
function detailOf(kind: ZendeskCollection, o: ZendeskObject): Record<string, unknown> {
  switch (kind) {
    case 'ticket':
      return {
        actor_id: idText(o.submitter_id),
        assignee_id: idText(o.assignee_id),
        brand_id: idText(o.brand_id),
        created_at: o.created_at,
        custom_status: idText(o.custom_status_id),
        description: o.description,
        external_id: idText(o.external_id),
        form_id: idText(o.ticket_form_id),
        group_id: idText(o.group_id),
        id: idText(o.id),
        is_public: o.is_public,
        organization_id: idText(o.organization_id),
        priority: o.priority,
        requester_id: idText(o.requester_id),
        status: String(o.status).toUpperCase(),
        subject: o.subject,
        submitter_id: idText(o.submitter_id),
        tags: o.tags,
        type: o.type === null || o.type === undefined ? null : String(o.type).toUpperCase(),
        updated_at: o.updated_at,
        via: { channel: (o.via as { channel?: unknown } | undefined)?.channel ?? 'api' },
      };
    case 'user':
      return {
        created_at: o.created_at,
        email: o.email,
        external_id: o.external_id,
        default_group_id: idText(o.default_group_id),
        id: idText(o.id),
        organization_id: idText(o.organization_id),
        role: o.role,
        updated_at: o.updated_at,
      };
    case 'organization':
      return {
        created_at: o.created_at,
        external_id: o.external_id,
        group_id: idText(o.group_id),
        id: idText(o.id),
        name: o.name,
        shared_comments: o.shared_comments,
        shared_tickets: o.shared_tickets,
        updated_at: o.updated_at,
      };
  }
}

/** `all` hold and (`any` empty or one of `any` holds); a condition the emulator does not know never holds. */
function conditionsHold(trigger: StoredTrigger, updateType: 'Create' | 'Change', change: StoreChange): boolean {
  const holds = (condition: TriggerCondition): boolean => conditionHolds(condition, updateType, change);
  return trigger.conditions.all.every(holds) && (trigger.conditions.any.length === 0 || trigger.conditions.any.some(holds));
}

function conditionHolds(condition: TriggerCondition, updateType: 'Create' | 'Change', change: StoreChange): boolean {
  const { field, operator, value } = condition;
  if (field === 'update_type') {
    if (operator === 'is') return value === updateType;
    if (operator === 'is_not') return value !== updateType;
    return false;
  }
  if (field === 'status') {
    const current = STATUS_ORDER.indexOf(String(change.object.status));
    const wanted = STATUS_ORDER.indexOf(String(value));
    if (operator === 'is') return current === wanted;
    if (operator === 'is_not') return current !== wanted;
    if (operator === 'less_than') return current < wanted;
    if (operator === 'greater_than') return current > wanted;
    if (operator === 'changed') return change.previous?.status !== change.object.status;
    return false;
  }
  return false;
}

/** Zendesk's `{{ticket.<field>}}` placeholders (`ticket.title` is the subject); unknown ones render empty. */
function renderPlaceholders(template: string, ticket: ZendeskObject): string {
  return template.replace(/\{\{\s*ticket\.([a-z_]+)\s*\}\}/g, (_all, field: string) => {
    const value = field === 'title' ? ticket.subject : ticket[field];
    if (value === null || value === undefined) return '';
    return Array.isArray(value) ? value.join(' ') : String(value);
  });
}
