import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { PostgresConsumerCreated, PostgresConsumerEvent, PostgresConsumerReset, PostgresConsumerSettings } from './events.ts';

type ConsumerRef = { consumerId: string; accountId: string };

export type CreatePostgresConsumer = Command<'CreatePostgresConsumer', Omit<PostgresConsumerCreated['data'], 'createdAt'>, CommandMetadata>;
export type UpdatePostgresConsumer = Command<'UpdatePostgresConsumer', ConsumerRef & PostgresConsumerSettings, CommandMetadata>;
export type ResetPostgresConsumer = Command<'ResetPostgresConsumer', Omit<PostgresConsumerReset['data'], 'resetAt'>, CommandMetadata>;
export type DeletePostgresConsumer = Command<'DeletePostgresConsumer', ConsumerRef, CommandMetadata>;
export type PostgresConsumerCommand = CreatePostgresConsumer | UpdatePostgresConsumer | ResetPostgresConsumer | DeletePostgresConsumer;

export type PostgresConsumerState = { status: 'absent' } | { status: 'active'; accountId: string } | { status: 'deleted' };

export const initialState = (): PostgresConsumerState => ({ status: 'absent' });

export function decide(command: PostgresConsumerCommand, state: PostgresConsumerState): PostgresConsumerEvent[] {
  const at = command.metadata.now.toISOString();
  if (command.type === 'CreatePostgresConsumer') {
    if (state.status !== 'absent') throw new ConflictError('consumer_exists', `postgres consumer ${command.data.consumerId} already exists`);
    return [{ type: 'PostgresConsumerCreated', data: { ...command.data, createdAt: at } }];
  }
  if (state.status !== 'active' || state.accountId !== command.data.accountId) throw new NotFoundError('postgres consumer', command.data.consumerId);
  switch (command.type) {
    case 'UpdatePostgresConsumer':
      return [{ type: 'PostgresConsumerUpdated', data: { ...command.data, updatedAt: at } }];
    case 'ResetPostgresConsumer':
      return [{ type: 'PostgresConsumerReset', data: { ...command.data, resetAt: at } }];
    case 'DeletePostgresConsumer':
      return [{ type: 'PostgresConsumerDeleted', data: { ...command.data, deletedAt: at } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: PostgresConsumerState, event: PostgresConsumerEvent): PostgresConsumerState {
  switch (event.type) {
    case 'PostgresConsumerCreated':
      return { status: 'active', accountId: event.data.accountId };
    case 'PostgresConsumerDeleted':
      return { status: 'deleted' };
    case 'PostgresConsumerUpdated':
    case 'PostgresConsumerReset':
      return state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const postgresConsumerDecider = { decide, evolve, initialState };
