import { awaitConsumers, resolveAwaitedConsumers, type AwaitedConsumer, type AwaitedVersions } from '../consumers/await-acks.ts';
import { mutationDecider, type MutationCommand } from '../domain/mutations/decide.ts';
import type { MutationItemError, MutationKind, MutationRecord } from '../domain/mutations/events.ts';
import { NotFoundError, UnprocessableError } from '../errors.ts';
import type { Sync } from '../generated/prisma/client.ts';
import { isUuid } from '../ids.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import { findRunWithItems, itemOutcome, type MutationRunWithItems } from '../queries/mutations.ts';
import { withCollectionWrite } from '../sync/collection-locks.ts';
import { openMutationSession } from '../sync/mutation-session.ts';
import { loadProviderCredential } from '../sync/provider-credential.ts';
import { UpstreamAuthError, type ProviderCredential, type ProviderSession, type UpstreamObject } from '../sync/providers/provider.ts';
import { requireProvider } from '../sync/providers/registry.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';
import { mutationRequestHash, mutationRunId, planItems, upstreamIdempotencyKey, type PlannedItem, type RunMutationInput } from './mutation-input.ts';
import { recordMutationResult, toItemError } from './mutation-results.ts';

export { runMutationInput, type RunMutationInput } from './mutation-input.ts';

const handleMutationCommand = commandHandler('mutation', mutationDecider);

export async function handleMutation(ctx: AppContext, command: MutationCommand) {
  return handleMutationCommand(ctx.eventStore, command.data.runId, command);
}

/** A checked request, ready to run: nothing has been sent or recorded yet. */
export interface PreparedMutation {
  runId: string;
  sync: Sync;
  credential: ProviderCredential;
  collectionId: string;
  kind: MutationKind;
  idempotencyKey: string | null;
  requestHash: string;
  items: PlannedItem[];
  /** Consumers the caller waits for once the run is done (none: answer at once). */
  awaitedConsumers: AwaitedConsumer[];
  awaitTimeoutMs: number;
}

async function findSync(ctx: AppContext, principal: Principal, syncId: string): Promise<Sync> {
  const sync = isUuid(syncId) ? await ctx.prisma.sync.findFirst({ where: { id: syncId.toLowerCase(), accountId: principal.accountId } }) : null;
  if (!sync) throw new NotFoundError('sync', syncId);
  return sync;
}

/** Every check that can refuse a request, before anything is sent upstream. */
export async function prepareMutation(ctx: AppContext, principal: Principal, input: RunMutationInput): Promise<PreparedMutation> {
  const sync = await findSync(ctx, principal, input.syncId);
  const { collectionId, kind } = input;
  if (!sync.collectionIds.includes(collectionId)) {
    throw new UnprocessableError('collection_not_in_sync', `collection ${collectionId} is not part of sync ${sync.id}`, [
      { path: 'collectionId', message: `one of: ${sync.collectionIds.join(', ')}` },
    ]);
  }
  const collection = requireProvider(sync.provider).collections.find((c) => c.id === collectionId);
  if (!collection?.mutations.includes(kind)) {
    throw new UnprocessableError('mutation_not_supported', `${collection?.name ?? collectionId} do not support ${kind}`, [
      { path: 'kind', message: collection && collection.mutations.length > 0 ? `supported: ${collection.mutations.join(', ')}` : 'the collection is read-only' },
    ]);
  }
  const items = planItems(input);
  const withoutId = kind === 'create' ? [] : items.filter((item) => item.upstreamId === null);
  if (withoutId.length > 0) {
    throw new UnprocessableError(
      'upstream_id_required',
      `every ${kind} item needs the object's upstream id`,
      withoutId.map((item) => ({ path: item.idPath, message: 'required: the id of the object upstream' })),
    );
  }
  const awaitedConsumers = input.awaitConsumerIds ? await resolveAwaitedConsumers(ctx, principal, input.awaitConsumerIds, 'awaitConsumerIds') : [];
  const credential = await loadProviderCredential(ctx, sync.credentialId);
  if (!credential) throw new UnprocessableError('credential_missing', `the credential of sync ${sync.id} was deleted`);
  const idempotencyKey = input.idempotencyKey ?? null;
  return {
    runId: idempotencyKey ? mutationRunId(principal.accountId, sync.id, idempotencyKey) : ctx.newId(),
    sync,
    credential,
    collectionId,
    kind,
    idempotencyKey,
    requestHash: mutationRequestHash(kind, collectionId, items),
    items,
    awaitedConsumers,
    awaitTimeoutMs: input.awaitConsumersTimeout,
  };
}

const runRef = (run: PreparedMutation) => ({ runId: run.runId, accountId: run.sync.accountId, syncId: run.sync.id });

/**
 * Records the request (`MutationRequested`). False when a run with this idempotency key already
 * completed: its stored results are the answer. A different request under the same key is a 409.
 */
export async function requestMutationRun(ctx: AppContext, principal: Principal, run: PreparedMutation): Promise<boolean> {
  const events = await handleMutation(ctx, {
    type: 'RequestMutation',
    data: {
      ...runRef(run),
      collectionId: run.collectionId,
      kind: run.kind,
      idempotencyKey: run.idempotencyKey,
      requestHash: run.requestHash,
      requestedBy: principal.tokenId,
      items: run.items.map((item) => ({ index: item.index, upstreamId: item.upstreamId, fields: Object.keys(item.params).sort() })),
    },
    metadata: { now: ctx.now() },
  });
  return events.length > 0;
}

type ItemOutcome = { record: MutationRecord } | { error: unknown };

/** One item upstream, and its result into the stream with no poll of the collection in between. */
function sendItem(ctx: AppContext, run: PreparedMutation, session: ProviderSession, item: PlannedItem): Promise<ItemOutcome> {
  return withCollectionWrite(run.sync.id, run.collectionId, async () => {
    let object: UpstreamObject;
    try {
      const idempotencyKey = upstreamIdempotencyKey(run.runId, item.index);
      object = await session.mutate(run.collectionId, run.kind, { upstreamId: item.upstreamId, data: item.params, idempotencyKey });
    } catch (error) {
      return { error };
    }
    return { record: await recordMutationResult(ctx, run.sync, run.collectionId, object) };
  });
}

function openSession(ctx: AppContext, run: PreparedMutation): { session: ProviderSession } | { authFailure: MutationItemError } {
  try {
    return { session: openMutationSession(ctx, run.sync, run.credential) };
  } catch (error) {
    if (error instanceof UpstreamAuthError) return { authFailure: toItemError(error) };
    throw error;
  }
}

/**
 * Sends the run's unsettled items upstream one after another, in order (an earlier attempt may
 * have settled some), recording each outcome as it comes. Each carries its own idempotency key,
 * so an item a crashed attempt already sent is answered by the upstream's replay, not done twice.
 * Only upstream failures become item errors; anything else ends the run unfinished, for a retry.
 */
async function executeUnsettledItems(ctx: AppContext, run: PreparedMutation): Promise<void> {
  const unsettled = await ctx.prisma.mutationItem.findMany({ where: { runId: run.runId, status: 'requested' }, select: { index: true }, orderBy: { index: 'asc' } });
  if (unsettled.length === 0) return;
  const opened = openSession(ctx, run);
  // After an auth failure the other items would only be refused the same way: they are not sent.
  let authFailure = 'authFailure' in opened ? opened.authFailure : null;
  for (const { index } of unsettled) {
    const item = run.items[index]!;
    const ref = { ...runRef(run), index };
    const metadata = { now: ctx.now() };
    const outcome: ItemOutcome | null = authFailure || !('session' in opened) ? null : await sendItem(ctx, run, opened.session, item);
    if (outcome && 'record' in outcome) {
      await handleMutation(ctx, { type: 'ApplyMutationItem', data: { ...ref, record: outcome.record }, metadata });
      continue;
    }
    const error = outcome ? toItemError(outcome.error) : authFailure!;
    if (outcome?.error instanceof UpstreamAuthError) authFailure = error;
    ctx.logger.info({ syncId: run.sync.id, runId: run.runId, index, code: error.code, upstreamStatus: error.upstreamStatus }, 'mutation item failed');
    await handleMutation(ctx, { type: 'FailMutationItem', data: { ...ref, upstreamId: item.upstreamId, error }, metadata });
  }
}

/** A retry of a run still going in this process waits for it, then answers its results. */
const runsInProgress = new KeyedQueue();

export interface MutationRunResult {
  /** The run as stored, its items in order. */
  run: MutationRunWithItems;
  /** true when the answer is the stored result of an earlier call with the same idempotency key. */
  replayed: boolean;
  /** With `awaitConsumerIds`: whether each consumer acked the resulting versions in time. */
  awaitedConsumers?: { consumerId: string; acked: boolean }[];
}

/** Sends the run's items, or finds the stored results of the run this idempotency key already completed. */
function runOnce(ctx: AppContext, principal: Principal, run: PreparedMutation): Promise<MutationRunResult> {
  return runsInProgress.run(run.runId, async () => {
    const started = await requestMutationRun(ctx, principal, run);
    if (!started) return { run: await findRunWithItems(ctx, run.runId), replayed: true };
    await executeUnsettledItems(ctx, run);
    const stored = await findRunWithItems(ctx, run.runId);
    ctx.logger.info(
      { syncId: run.sync.id, runId: run.runId, collectionId: run.collectionId, kind: run.kind, items: run.items.length, failed: stored.items.filter((i) => !itemOutcome(i).ok).length },
      'mutation run',
    );
    return { run: stored, replayed: false };
  });
}

/** The versions the run put in the stream, for consumers to ack. */
function resultingVersions(run: PreparedMutation, stored: MutationRunWithItems): AwaitedVersions {
  const versions = stored.items.flatMap((item) => {
    const outcome = itemOutcome(item);
    const record = outcome.ok ? outcome.record : null;
    return record && record.updated_idx !== null ? [{ collectionId: record.collection_id, upstreamId: record.upstream_id, updatedIdx: record.updated_idx }] : [];
  });
  return { streamId: run.sync.streamId, syncId: run.sync.id, versions };
}

/** A mutation run: every item through the sync's provider, each answered on its own. */
export async function runMutation(ctx: AppContext, principal: Principal, input: RunMutationInput): Promise<MutationRunResult> {
  const run = await prepareMutation(ctx, principal, input);
  const result = await runOnce(ctx, principal, run);
  if (run.awaitedConsumers.length === 0) return result;
  return { ...result, awaitedConsumers: await awaitConsumers(ctx, run.awaitedConsumers, resultingVersions(run, result.run), run.awaitTimeoutMs) };
}
