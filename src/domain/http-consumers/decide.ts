import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { StartPosition } from '../consumer-selection.ts';
import type { HttpConsumerEvent, HttpConsumerSettings, StartOptions } from './events.ts';

type ConsumerRef = { consumerId: string; accountId: string };

export type CreateHttpConsumer = Command<
  'CreateHttpConsumer',
  ConsumerRef & HttpConsumerSettings & StartOptions & { streamId: string; startIdx: string },
  CommandMetadata
>;
export type UpdateHttpConsumer = Command<'UpdateHttpConsumer', ConsumerRef & HttpConsumerSettings, CommandMetadata>;
export type DeleteHttpConsumer = Command<'DeleteHttpConsumer', ConsumerRef, CommandMetadata>;
/** Where delivery starts again, and the stream position that means (resolved by the command handler). */
export type ResetHttpConsumer = Command<'ResetHttpConsumer', ConsumerRef & StartPosition & { startIdx: string }, CommandMetadata>;
export type HttpConsumerCommand = CreateHttpConsumer | UpdateHttpConsumer | DeleteHttpConsumer | ResetHttpConsumer;

export type HttpConsumerState = { status: 'absent' } | { status: 'active'; accountId: string; resets: number } | { status: 'deleted' };

export const initialState = (): HttpConsumerState => ({ status: 'absent' });

export function decide(command: HttpConsumerCommand, state: HttpConsumerState): HttpConsumerEvent[] {
  const at = command.metadata.now.toISOString();
  if (command.type === 'CreateHttpConsumer') {
    if (state.status !== 'absent') throw new ConflictError('consumer_exists', `consumer ${command.data.consumerId} already exists`);
    return [{ type: 'HttpConsumerCreated', data: { ...command.data, createdAt: at } }];
  }
  if (state.status !== 'active' || state.accountId !== command.data.accountId) throw new NotFoundError('http consumer', command.data.consumerId);
  switch (command.type) {
    case 'UpdateHttpConsumer':
      return [{ type: 'HttpConsumerUpdated', data: { ...command.data, updatedAt: at } }];
    case 'DeleteHttpConsumer':
      return [{ type: 'HttpConsumerDeleted', data: { ...command.data, deletedAt: at } }];
    case 'ResetHttpConsumer':
      return [{ type: 'HttpConsumerReset', data: { ...command.data, resetCount: state.resets + 1, resetAt: at } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: HttpConsumerState, event: HttpConsumerEvent): HttpConsumerState {
  switch (event.type) {
    case 'HttpConsumerCreated':
      return { status: 'active', accountId: event.data.accountId, resets: 0 };
    case 'HttpConsumerDeleted':
      return { status: 'deleted' };
    case 'HttpConsumerUpdated':
      return state;
    case 'HttpConsumerReset':
      return state.status === 'active' ? { ...state, resets: event.data.resetCount } : state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const httpConsumerDecider = { decide, evolve, initialState };
