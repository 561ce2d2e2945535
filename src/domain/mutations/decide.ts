import type { Command } from '@event-driven-io/emmett';
import { ConflictError, InvariantError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { MutationEvent, MutationItemError, MutationItemRequest, MutationKind, MutationRecord } from './events.ts';

type RunRef = { runId: string; accountId: string; syncId: string };

export type RequestMutation = Command<
  'RequestMutation',
  RunRef & {
    collectionId: string;
    kind: MutationKind;
    idempotencyKey: string | null;
    requestHash: string;
    requestedBy: string;
    items: MutationItemRequest[];
  },
  CommandMetadata
>;
export type ApplyMutationItem = Command<'ApplyMutationItem', RunRef & { index: number; record: MutationRecord }, CommandMetadata>;
export type FailMutationItem = Command<'FailMutationItem', RunRef & { index: number; upstreamId: string | null; error: MutationItemError }, CommandMetadata>;

export type MutationCommand = RequestMutation | ApplyMutationItem | FailMutationItem;

export type MutationRunState =
  | { status: 'absent' }
  | {
      status: 'open';
      accountId: string;
      syncId: string;
      requestHash: string;
      itemCount: number;
      attempt: number;
      /** Indexes with an outcome (applied or failed); the run is complete when every item has one. */
      settled: number[];
    };

type OpenRun = Extract<MutationRunState, { status: 'open' }>;

export const initialState = (): MutationRunState => ({ status: 'absent' });

export const isComplete = (state: OpenRun): boolean => state.settled.length >= state.itemCount;

function assertOpen(state: MutationRunState, ref: RunRef): asserts state is OpenRun {
  if (state.status !== 'open' || state.accountId !== ref.accountId || state.syncId !== ref.syncId) {
    throw new NotFoundError('mutation', ref.runId);
  }
}

/** Item indexes come from the run's own request, never from a caller: one outside it is a bug. */
function assertItem(state: OpenRun, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= state.itemCount) {
    throw new InvariantError('mutation_item_not_in_run', `mutation item ${index} is not part of the run`);
  }
}

export function decide(command: MutationCommand, state: MutationRunState): MutationEvent[] {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'RequestMutation': {
      if (state.status === 'absent') return [{ type: 'MutationRequested', data: { ...command.data, attempt: 1, at } }];
      assertOpen(state, command.data);
      if (state.requestHash !== command.data.requestHash) {
        throw new ConflictError('idempotency_key_reused', 'this idempotency_key was already used for a different request');
      }
      // Complete: the caller answers the stored results. Unfinished: a retry finishes it.
      if (isComplete(state)) return [];
      return [{ type: 'MutationRequested', data: { ...command.data, attempt: state.attempt + 1, at } }];
    }
    case 'ApplyMutationItem': {
      assertOpen(state, command.data);
      assertItem(state, command.data.index);
      if (state.settled.includes(command.data.index)) return [];
      return [{ type: 'MutationApplied', data: { ...command.data, at } }];
    }
    case 'FailMutationItem': {
      assertOpen(state, command.data);
      assertItem(state, command.data.index);
      if (state.settled.includes(command.data.index)) return [];
      return [{ type: 'MutationFailed', data: { ...command.data, at } }];
    }
    default:
      return unknownCommand(command);
  }
}

export function evolve(state: MutationRunState, event: MutationEvent): MutationRunState {
  switch (event.type) {
    case 'MutationRequested':
      if (state.status === 'open') return { ...state, attempt: event.data.attempt };
      return {
        status: 'open',
        accountId: event.data.accountId,
        syncId: event.data.syncId,
        requestHash: event.data.requestHash,
        itemCount: event.data.items.length,
        attempt: event.data.attempt,
        settled: [],
      };
    case 'MutationApplied':
    case 'MutationFailed':
      if (state.status !== 'open' || state.settled.includes(event.data.index)) return state;
      return { ...state, settled: [...state.settled, event.data.index] };
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const mutationDecider = { decide, evolve, initialState };
