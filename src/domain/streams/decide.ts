import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { StreamEvent } from './events.ts';

export type CreateStream = Command<'CreateStream', { streamId: string; accountId: string; name: string }, CommandMetadata>;
export type DeleteStream = Command<'DeleteStream', { streamId: string; accountId: string }, CommandMetadata>;
export type StreamCommand = CreateStream | DeleteStream;

export type StreamState = { status: 'absent' } | { status: 'open'; accountId: string } | { status: 'deleted' };

export const initialState = (): StreamState => ({ status: 'absent' });

export function decide(command: StreamCommand, state: StreamState): StreamEvent[] {
  const now = command.metadata.now.toISOString();
  switch (command.type) {
    case 'CreateStream':
      if (state.status !== 'absent') throw new ConflictError('stream_exists', `stream ${command.data.streamId} already exists`);
      return [{ type: 'StreamCreated', data: { ...command.data, createdAt: now } }];
    case 'DeleteStream':
      if (state.status !== 'open' || state.accountId !== command.data.accountId) {
        throw new NotFoundError('stream', command.data.streamId);
      }
      return [{ type: 'StreamDeleted', data: { ...command.data, deletedAt: now } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: StreamState, event: StreamEvent): StreamState {
  switch (event.type) {
    case 'StreamCreated':
      return { status: 'open', accountId: event.data.accountId };
    case 'StreamDeleted':
      return { status: 'deleted' };
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const streamDecider = { decide, evolve, initialState };
