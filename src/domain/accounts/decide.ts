import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { AccountEvent, AccountLimits } from './events.ts';

type NewToken = { tokenId: string; name: string; tokenHash: string; prefix: string };

export type CreateAccount = Command<'CreateAccount', { accountId: string; name: string; isRoot: boolean; firstToken: NewToken }, CommandMetadata>;
export type CreateApiToken = Command<'CreateApiToken', { accountId: string } & NewToken, CommandMetadata>;
export type RevokeApiToken = Command<'RevokeApiToken', { accountId: string; tokenId: string }, CommandMetadata>;
export type SetAccountLimits = Command<'SetAccountLimits', { accountId: string; limits: AccountLimits }, CommandMetadata>;
export type AccountCommand = CreateAccount | CreateApiToken | RevokeApiToken | SetAccountLimits;

export type AccountState =
  | { status: 'absent' }
  | { status: 'open'; accountId: string; tokens: Record<string, { revoked: boolean }> };

export const initialState = (): AccountState => ({ status: 'absent' });

const tokenCreated = (accountId: string, token: NewToken, now: Date): AccountEvent => ({
  type: 'ApiTokenCreated',
  data: { accountId, ...token, createdAt: now.toISOString() },
});

export function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateAccount': {
      if (state.status !== 'absent') throw new ConflictError('account_exists', `account ${command.data.accountId} already exists`);
      const { accountId, name, isRoot, firstToken } = command.data;
      return [
        { type: 'AccountCreated', data: { accountId, name, isRoot, createdAt: now.toISOString() } },
        tokenCreated(accountId, firstToken, now),
      ];
    }
    case 'CreateApiToken': {
      if (state.status !== 'open') throw new NotFoundError('account', command.data.accountId);
      const { accountId, ...token } = command.data;
      return [tokenCreated(accountId, token, now)];
    }
    case 'RevokeApiToken': {
      const token = state.status === 'open' ? state.tokens[command.data.tokenId] : undefined;
      if (!token) throw new NotFoundError('api token', command.data.tokenId);
      if (token.revoked) return [];
      return [{ type: 'ApiTokenRevoked', data: { ...command.data, revokedAt: now.toISOString() } }];
    }
    case 'SetAccountLimits': {
      if (state.status !== 'open') throw new NotFoundError('account', command.data.accountId);
      return [{ type: 'AccountLimitsSet', data: { ...command.data, setAt: now.toISOString() } }];
    }
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountCreated':
      return { status: 'open', accountId: event.data.accountId, tokens: {} };
    case 'ApiTokenCreated':
      if (state.status !== 'open') return state;
      return { ...state, tokens: { ...state.tokens, [event.data.tokenId]: { revoked: false } } };
    case 'ApiTokenRevoked':
      if (state.status !== 'open') return state;
      return { ...state, tokens: { ...state.tokens, [event.data.tokenId]: { revoked: true } } };
    case 'AccountLimitsSet':
      return state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const accountDecider = { decide, evolve, initialState };
