import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import type { StartPosition } from '../consumer-selection.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { WebhookConsumerCreated, WebhookConsumerEvent, WebhookConsumerSettings, WebhookSigningSecret } from './events.ts';

type ConsumerRef = { consumerId: string; accountId: string };

export type CreateWebhookConsumer = Command<'CreateWebhookConsumer', Omit<WebhookConsumerCreated['data'], 'createdAt'>, CommandMetadata>;
export type UpdateWebhookConsumer = Command<'UpdateWebhookConsumer', ConsumerRef & WebhookConsumerSettings, CommandMetadata>;
/** `previousValidMs`: how long the secret being replaced still signs deliveries beside the new one (0: not at all). */
export type RotateWebhookConsumerSecret = Command<'RotateWebhookConsumerSecret', ConsumerRef & WebhookSigningSecret & { previousValidMs: number }, CommandMetadata>;
export type ResetWebhookConsumer = Command<'ResetWebhookConsumer', ConsumerRef & { start: StartPosition; startIdx: string }, CommandMetadata>;
export type DeleteWebhookConsumer = Command<'DeleteWebhookConsumer', ConsumerRef, CommandMetadata>;
export type WebhookConsumerCommand = CreateWebhookConsumer | UpdateWebhookConsumer | RotateWebhookConsumerSecret | ResetWebhookConsumer | DeleteWebhookConsumer;

export type WebhookConsumerState =
  | { status: 'absent' }
  | { status: 'active'; accountId: string; secretSealed: string }
  | { status: 'deleted' };

export const initialState = (): WebhookConsumerState => ({ status: 'absent' });

export function decide(command: WebhookConsumerCommand, state: WebhookConsumerState): WebhookConsumerEvent[] {
  const at = command.metadata.now.toISOString();
  if (command.type === 'CreateWebhookConsumer') {
    if (state.status !== 'absent') throw new ConflictError('consumer_exists', `webhook consumer ${command.data.consumerId} already exists`);
    return [{ type: 'WebhookConsumerCreated', data: { ...command.data, createdAt: at } }];
  }
  if (state.status !== 'active' || state.accountId !== command.data.accountId) throw new NotFoundError('webhook consumer', command.data.consumerId);
  switch (command.type) {
    case 'UpdateWebhookConsumer':
      return [{ type: 'WebhookConsumerUpdated', data: { ...command.data, updatedAt: at } }];
    case 'RotateWebhookConsumerSecret': {
      const { previousValidMs, ...data } = command.data;
      const keepsPrevious = previousValidMs > 0;
      return [
        {
          type: 'WebhookConsumerSecretRotated',
          data: {
            ...data,
            previousSecretSealed: keepsPrevious ? state.secretSealed : null,
            previousValidUntil: keepsPrevious ? new Date(command.metadata.now.getTime() + previousValidMs).toISOString() : null,
            rotatedAt: at,
          },
        },
      ];
    }
    case 'ResetWebhookConsumer':
      return [{ type: 'WebhookConsumerReset', data: { ...command.data, resetAt: at } }];
    case 'DeleteWebhookConsumer':
      return [{ type: 'WebhookConsumerDeleted', data: { ...command.data, deletedAt: at } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: WebhookConsumerState, event: WebhookConsumerEvent): WebhookConsumerState {
  switch (event.type) {
    case 'WebhookConsumerCreated':
      return { status: 'active', accountId: event.data.accountId, secretSealed: event.data.secretSealed };
    case 'WebhookConsumerSecretRotated':
      return state.status === 'active' ? { ...state, secretSealed: event.data.secretSealed } : state;
    case 'WebhookConsumerDeleted':
      return { status: 'deleted' };
    case 'WebhookConsumerUpdated':
    case 'WebhookConsumerReset':
      return state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const webhookConsumerDecider = { decide, evolve, initialState };
