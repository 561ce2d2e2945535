/**
 * What Zendesk webhooks Syncline subscribes to and how a delivery becomes hints.
 *
 * Two kinds of delivery reach the same URL:
 * - event subscriptions (`zen:event-type:…`): `{type, account_id, id, time, subject: "zen:user:42",
 *   detail: {id: "42", …}, event: {…}, zendesk_event_version}`, the object's id a string in `detail.id`;
 * - the ticket trigger's `notification_webhook`, whose JSON body Syncline defines at registration
 *   (TICKET_TRIGGER_BODY): `{"event": "syncline.ticket_changed", "ticket_id": "<id>"}`.
 */

import { WebhookMalformedError, type ParsedWebhook, type WebhookHint, type WebhookRequest } from '../provider.ts';

/** The header Zendesk gives every invocation (the same for its retries). */
export const ZENDESK_INVOCATION_HEADER = 'x-zendesk-webhook-invocation-id';

/** The marker of the trigger's body (the trigger itself says nothing of the update's kind). */
export const TICKET_TRIGGER_EVENT = 'syncline.ticket_changed';

/** The trigger action's body: Zendesk renders `{{ticket.id}}` for the ticket that was created or updated. */
export const TICKET_TRIGGER_BODY = JSON.stringify({ event: TICKET_TRIGGER_EVENT, ticket_id: '{{ticket.id}}' });

const USER_EVENTS = [
  'active_changed', 'alias_changed', 'created', 'custom_field_changed', 'custom_role_changed', 'default_group_changed', 'deleted',
  'details_changed', 'external_id_changed', 'group_membership_created', 'group_membership_deleted', 'identity_changed',
  'identity_created', 'identity_deleted', 'last_login_changed', 'merged', 'name_changed', 'notes_changed',
  'only_private_comments_changed', 'organization_membership_created', 'organization_membership_deleted', 'password_changed',
  'photo_changed', 'role_changed', 'suspended_changed', 'tags_changed', 'time_zone_changed',
];
const ORGANIZATION_EVENTS = ['created', 'custom_field_changed', 'deleted', 'external_id_changed', 'name_changed', 'tags_changed'];
/** Triggers never run when a ticket is deleted: these events bring ticket deletes (and undeletes). */
const TICKET_DELETE_EVENTS = ['soft_deleted', 'permanently_deleted', 'marked_as_spam', 'undeleted'];

const eventTypes = (domain: string, names: string[]): string[] => names.map((name) => `zen:event-type:${domain}.${name}`);

/** The event subscriptions of the events webhook for the synced collections (empty: no such webhook). */
export function subscribedEventTypes(collectionIds: readonly string[]): string[] {
  const types: string[] = [];
  if (collectionIds.includes('zendesk:ticket')) types.push(...eventTypes('ticket', TICKET_DELETE_EVENTS));
  if (collectionIds.includes('zendesk:user')) types.push(...eventTypes('user', USER_EVENTS));
  if (collectionIds.includes('zendesk:organization')) types.push(...eventTypes('organization', ORGANIZATION_EVENTS));
  return types;
}

const COLLECTION_OF_DOMAIN: Record<string, string> = { ticket: 'zendesk:ticket', user: 'zendesk:user', organization: 'zendesk:organization' };

/** Event names (after `<domain>.`) that say the object is gone; a fetch confirms it. */
const DELETE_EVENTS: Record<string, ReadonlySet<string>> = {
  ticket: new Set(['soft_deleted', 'permanently_deleted', 'marked_as_spam']),
  user: new Set(['deleted']),
  organization: new Set(['deleted']),
};

/** `zen:event-type:user.created` (Zendesk's docs also write `zen:event-type/user.merged`). */
const EVENT_TYPE = /^zen:event-type[:/]([a-z_]+)\.([a-z_]+)$/;
const SUBJECT = /^zen:([a-z_]+):(\d+)$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A Zendesk id (integer, or its decimal string) as the listings' `upstreamId`; null otherwise. */
function idOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return String(BigInt(value.trim()));
  return null;
}

export function parseZendeskWebhook(request: WebhookRequest): ParsedWebhook {
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new WebhookMalformedError('the body is not JSON');
  }
  if (!isObject(body)) throw new WebhookMalformedError('the body is not a JSON object');
  const invocationId = request.headers.get(ZENDESK_INVOCATION_HEADER);
  if (typeof body.type === 'string' && body.type.startsWith('zen:event-type')) {
    return { deliveryId: typeof body.id === 'string' && body.id !== '' ? body.id : invocationId, hints: eventHints(body.type, body) };
  }
  if ('ticket_id' in body) {
    const ticketId = idOf(body.ticket_id);
    if (ticketId === null) throw new WebhookMalformedError('ticket_id is not a ticket id');
    return { deliveryId: invocationId, hints: [{ collectionId: 'zendesk:ticket', upstreamId: ticketId, deleted: false }] };
  }
  // Neither an event nor the trigger's body (e.g. another trigger pointed at the URL): nothing to read.
  return { deliveryId: invocationId, hints: [] };
}

function eventHints(type: string, body: Json): WebhookHint[] {
  const match = EVENT_TYPE.exec(type);
  const domain = match?.[1];
  const name = match?.[2];
  const collectionId = domain ? COLLECTION_OF_DOMAIN[domain] : undefined;
  // Events of what Syncline does not sync (articles, agents, community posts…) give no hints.
  if (!domain || !name || !collectionId) return [];
  const subject = typeof body.subject === 'string' ? SUBJECT.exec(body.subject) : null;
  const upstreamId = idOf(isObject(body.detail) ? body.detail.id : undefined) ?? (subject?.[1] === domain ? idOf(subject[2]) : null);
  if (upstreamId === null) throw new WebhookMalformedError(`${type} without the ${domain}'s id`);
  const event = isObject(body.event) ? body.event : {};
  // A user whose `active` turned false is a deleted user (Zendesk's soft delete).
  const deleted = (DELETE_EVENTS[domain]?.has(name) ?? false) || (domain === 'user' && name === 'active_changed' && event.current === false);
  return [{ collectionId, upstreamId, deleted }];
}
