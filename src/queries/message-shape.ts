import type { EventAction, MessageKind } from '../domain/change-events.ts';

/** A consumer's `message_kind` and event filters as every kind answers them (null: no filter). */
export function presentMessageShape(consumer: { messageKind: string; eventActions: string[]; eventChangedFields: string[] }) {
  return {
    message_kind: (consumer.messageKind === 'event' ? 'event' : 'record') as MessageKind,
    actions: consumer.eventActions.length > 0 ? (consumer.eventActions as EventAction[]) : null,
    changed_fields: consumer.eventChangedFields.length > 0 ? consumer.eventChangedFields : null,
  };
}
