/**
 * What a consumer delivers (issue 28, docs/DELIVERY.md "Change events"): `record`, each record's
 * latest version, or `event`, every recorded version as a change event, optionally narrowed by
 * action and by the data fields an update changed. Plain data, carried by every consumer kind's events.
 */

export type MessageKind = 'record' | 'event';

export const EVENT_ACTIONS = ['inserted', 'updated', 'deleted'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

export interface MessageShape {
  messageKind: MessageKind;
  /** null: every action. Only with `event`. */
  eventActions: EventAction[] | null;
  /** null: every update; else only updates that changed one of these top-level data fields. Only with `event`. */
  eventChangedFields: string[] | null;
}

export const RECORD_MESSAGES: MessageShape = { messageKind: 'record', eventActions: null, eventChangedFields: null };

/** The shape an event carries, or records for events written before message kinds existed. */
export function messageShapeOf(settings: { messageKind?: MessageKind | undefined; eventActions?: EventAction[] | null | undefined; eventChangedFields?: string[] | null | undefined }): MessageShape {
  return { messageKind: settings.messageKind ?? 'record', eventActions: settings.eventActions ?? null, eventChangedFields: settings.eventChangedFields ?? null };
}

/** Whether a change event passes the filters: the action, and for an update one of the changed fields. */
export function eventMatches(shape: MessageShape, action: EventAction, changes: Record<string, unknown> | null): boolean {
  if (shape.eventActions !== null && !shape.eventActions.includes(action)) return false;
  if (shape.eventChangedFields === null || action !== 'updated') return true;
  return shape.eventChangedFields.some((field) => changes !== null && Object.hasOwn(changes, field));
}
