import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { StartPosition } from '../consumer-selection.ts';
import type { NatsConsumerCreated, NatsConsumerEvent, NatsConsumerSettings } from './events.ts';

type ConsumerRef = { consumerId: string; accountId: string };

export type CreateNatsConsumer = Command<'CreateNatsConsumer', Omit<NatsConsumerCreated['data'], 'createdAt'>, CommandMetadata>;
export type UpdateNatsConsumer = Command<'UpdateNatsConsumer', ConsumerRef & NatsConsumerSettings, CommandMetadata>;
export type DeleteNatsConsumer = Command<'DeleteNatsConsumer', ConsumerRef, CommandMetadata>;
/** Where publishing starts again, and the stream position that means (resolved by the command handler). */
export type ResetNatsConsumer = Command<'ResetNatsConsumer', ConsumerRef & StartPosition & { startIdx: string }, CommandMetadata>;
export type NatsConsumerCommand = CreateNatsConsumer | UpdateNatsConsumer | DeleteNatsConsumer | ResetNatsConsumer;

export type NatsConsumerState = { status: 'absent' } | { status: 'active'; accountId: string; resets: number } | { status: 'deleted' };

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
    case 'ResetNatsConsumer':
      return [{ type: 'NatsConsumerReset', data: { ...command.data, resetCount: state.resets + 1, resetAt: at } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: NatsConsumerState, event: NatsConsumerEvent): NatsConsumerState {
  switch (event.type) {
    case 'NatsConsumerCreated':
      return { status: 'active', accountId: event.data.accountId, resets: 0 };
    case 'NatsConsumerDeleted':
      return { status: 'deleted' };
    case 'NatsConsumerUpdated':
      return state;
    case 'NatsConsumerReset':
      return state.status === 'active' ? { ...state, resets: event.data.resetCount } : state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const natsConsumerDecider = { decide, evolve, initialState };
