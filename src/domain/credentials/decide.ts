import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { CredentialEvent, CredentialFields } from './events.ts';

type Ids = { credentialId: string; accountId: string };
export type AddCredential = Command<'AddCredential', Ids & CredentialFields, CommandMetadata>;
export type UpdateCredential = Command<'UpdateCredential', Ids & CredentialFields, CommandMetadata>;
export type DeleteCredential = Command<'DeleteCredential', Ids, CommandMetadata>;
export type RecordRefreshedTokens = Command<
  'RecordRefreshedTokens',
  Ids & { secretsSealed: string; secretHints: Record<string, string>; metadata: Record<string, unknown> },
  CommandMetadata
>;
export type CredentialCommand = AddCredential | UpdateCredential | RecordRefreshedTokens | DeleteCredential;

export type CredentialState = { status: 'absent' } | { status: 'active'; accountId: string; kind: string } | { status: 'deleted' };

export const initialState = (): CredentialState => ({ status: 'absent' });

function assertOwned(state: CredentialState, ids: Ids): asserts state is Extract<CredentialState, { status: 'active' }> {
  if (state.status !== 'active' || state.accountId !== ids.accountId) throw new NotFoundError('credential', ids.credentialId);
}

export function decide(command: CredentialCommand, state: CredentialState): CredentialEvent[] {
  const now = command.metadata.now.toISOString();
  switch (command.type) {
    case 'AddCredential':
      if (state.status !== 'absent') throw new ConflictError('credential_exists', `credential ${command.data.credentialId} already exists`);
      return [{ type: 'CredentialAdded', data: { ...command.data, addedAt: now } }];
    case 'UpdateCredential':
      assertOwned(state, command.data);
      return [{ type: 'CredentialUpdated', data: { ...command.data, updatedAt: now } }];
    case 'RecordRefreshedTokens':
      assertOwned(state, command.data);
      return [{ type: 'CredentialTokensRefreshed', data: { ...command.data, refreshedAt: now } }];
    case 'DeleteCredential':
      assertOwned(state, command.data);
      return [{ type: 'CredentialDeleted', data: { ...command.data, deletedAt: now } }];
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: CredentialState, event: CredentialEvent): CredentialState {
  switch (event.type) {
    case 'CredentialAdded':
    case 'CredentialUpdated':
      return { status: 'active', accountId: event.data.accountId, kind: event.data.kind };
    case 'CredentialDeleted':
      return { status: 'deleted' };
    case 'CredentialTokensRefreshed':
      return state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const credentialDecider = { decide, evolve, initialState };
