import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { OAuthAppCreated, OAuthAppEvent } from './events.ts';

export type CreateOAuthApp = Command<'CreateOAuthApp', Omit<OAuthAppCreated['data'], 'createdAt'>, CommandMetadata>;
export type DeleteOAuthApp = Command<'DeleteOAuthApp', { oauthAppId: string; accountId: string }, CommandMetadata>;
export type OAuthAppCommand = CreateOAuthApp | DeleteOAuthApp;

export type OAuthAppState = { status: 'absent' } | { status: 'active'; accountId: string } | { status: 'deleted' };

export const initialState = (): OAuthAppState => ({ status: 'absent' });

export function decide(command: OAuthAppCommand, state: OAuthAppState): OAuthAppEvent[] {
  const now = command.metadata.now.toISOString();
  switch (command.type) {
    case 'CreateOAuthApp':
      if (state.status !== 'absent') throw new ConflictError('oauth_app_exists', `oauth app ${command.data.oauthAppId} already exists`);
      return [{ type: 'OAuthAppCreated', data: { ...command.data, createdAt: now } }];
    case 'DeleteOAuthApp':
      if (state.status !== 'active' || state.accountId !== command.data.accountId) {
        throw new NotFoundError('oauth app', command.data.oauthAppId);
      }
      return [{ type: 'OAuthAppDeleted', data: { ...command.data, deletedAt: now } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: OAuthAppState, event: OAuthAppEvent): OAuthAppState {
  switch (event.type) {
    case 'OAuthAppCreated':
      return { status: 'active', accountId: event.data.accountId };
    case 'OAuthAppDeleted':
      return { status: 'deleted' };
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const oauthAppDecider = { decide, evolve, initialState };
