import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { NatsConsumerCreated, NatsConsumerEvent, NatsConsumerSettings } from './events.ts';

type ConsumerRef = { consumerId: string; accountId: string };

export type CreateNatsConsumer = Command<'CreateNatsConsumer', Omit<NatsConsumerCreated['data'], 'createdAt'>, CommandMetadata>;
export type UpdateNatsConsumer = Command<'UpdateNatsConsumer', ConsumerRef & NatsConsumerSettings, CommandMetadata>;
export type DeleteNatsConsumer = Command<'DeleteNatsConsumer', ConsumerRef, CommandMetadata>;
export type NatsConsumerCommand = CreateNatsConsumer | UpdateNatsConsumer | DeleteNatsConsumer;

export type NatsConsumerState = { status: 'absent' } | { status: 'active'; accountId: string } | { status: 'deleted' };

export const initialState = (): NatsConsumerState => ({ status: 'absent' });

export function decide(command: NatsConsumerCommand, state: NatsConsumerState): NatsConsumerEvent[] {
  const at = command.metadata.now.toISOString();
  if (command.type === 'CreateNatsConsumer') {
    if (state.status !== 'absent') throw new ConflictError('consumer_exists', `nats consumer ${command.data.consumerId} already exists`);
    return [{ type: 'NatsConsumerCreated', data: { ...command.data, createdAt: at } }];
  }
  if (state.status !== 'active' || state.accountId !== command.data.accountId) throw new NotFoundError('nats consumer', command.data.consumerId);
  switch (command.type) {
    case 'UpdateNatsConsumer':
      return [{ type: 'NatsConsumerUpdated', data: { ...command.data, updatedAt: at } }];
    case 'DeleteNatsConsumer':
      return [{ type: 'NatsConsumerDeleted', data: { ...command.data, deletedAt: at } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: NatsConsumerState, event: NatsConsumerEvent): NatsConsumerState {
  switch (event.type) {
    case 'NatsConsumerCreated':
      return { status: 'active', accountId: event.data.accountId };
    case 'NatsConsumerDeleted':
      return { status: 'deleted' };
    case 'NatsConsumerUpdated':
      return state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const natsConsumerDecider = { decide, evolve, initialState };
