import type { Command } from '@event-driven-io/emmett';
import { NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { NotificationSigningSecret, NotificationWebhookEvent } from './events.ts';

type AccountRef = { accountId: string };

/** `newSecret` signs from now on only when the account had no webhook (else the stored one stays). */
export type SetNotificationWebhook = Command<'SetNotificationWebhook', AccountRef & { url: string; newSecret: NotificationSigningSecret }, CommandMetadata>;
export type RotateNotificationSecret = Command<'RotateNotificationSecret', AccountRef & NotificationSigningSecret & { previousValidMs: number }, CommandMetadata>;
export type RemoveNotificationWebhook = Command<'RemoveNotificationWebhook', AccountRef, CommandMetadata>;
export type NotificationWebhookCommand = SetNotificationWebhook | RotateNotificationSecret | RemoveNotificationWebhook;

export type NotificationWebhookState = { status: 'none' } | { status: 'set'; url: string; secretSealed: string };

export const initialState = (): NotificationWebhookState => ({ status: 'none' });

export function decide(command: NotificationWebhookCommand, state: NotificationWebhookState): NotificationWebhookEvent[] {
  const at = command.metadata.now.toISOString();
  const { accountId } = command.data;
  switch (command.type) {
    case 'SetNotificationWebhook':
      if (state.status === 'none') return [{ type: 'NotificationWebhookSet', data: { accountId, url: command.data.url, ...command.data.newSecret, at } }];
      return state.url === command.data.url ? [] : [{ type: 'NotificationWebhookUpdated', data: { accountId, url: command.data.url, at } }];
    case 'RotateNotificationSecret': {
      if (state.status !== 'set') throw new NotFoundError('notification webhook', accountId);
      const keepsPrevious = command.data.previousValidMs > 0;
      return [
        {
          type: 'NotificationWebhookSecretRotated',
          data: {
            accountId,
            secretSealed: command.data.secretSealed,
            secretHint: command.data.secretHint,
            previousSecretSealed: keepsPrevious ? state.secretSealed : null,
            previousValidUntil: keepsPrevious ? new Date(command.metadata.now.getTime() + command.data.previousValidMs).toISOString() : null,
            at,
          },
        },
      ];
    }
    case 'RemoveNotificationWebhook':
      if (state.status !== 'set') throw new NotFoundError('notification webhook', accountId);
      return [{ type: 'NotificationWebhookRemoved', data: { accountId, at } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: NotificationWebhookState, event: NotificationWebhookEvent): NotificationWebhookState {
  switch (event.type) {
    case 'NotificationWebhookSet':
      return { status: 'set', url: event.data.url, secretSealed: event.data.secretSealed };
    case 'NotificationWebhookUpdated':
      return state.status === 'set' ? { ...state, url: event.data.url } : state;
    case 'NotificationWebhookSecretRotated':
      return state.status === 'set' ? { ...state, secretSealed: event.data.secretSealed } : state;
    case 'NotificationWebhookRemoved':
      return { status: 'none' };
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const notificationWebhookDecider = { decide, evolve, initialState };
