import { messageShapeOf, type EventAction, type MessageKind } from '../domain/change-events.ts';

/** `message_kind, event_actions, event_changed_fields` of a consumer's read model (migration 0059), from its creation event. */
export function messageColumns(created: { messageKind?: MessageKind; eventActions?: EventAction[] | null; eventChangedFields?: string[] | null }) {
  const shape = messageShapeOf(created);
  return [shape.messageKind, shape.eventActions, shape.eventChangedFields] as const;
}
