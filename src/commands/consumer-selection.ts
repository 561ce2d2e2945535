/**
 * The record selection and start position every consumer kind accepts (DESIGN.md §7b): their
 * input fields, the checks against the account's streams and syncs, and the stream position a
 * start position means. Each kind's commands spread `selectionInputFields` and
 * `startPositionInputFields` into its create schema and call `resolveSelection` and
 * `resolveStartIdx`; a reset (`POST /v1/<kind>/{id}/reset`) parses `resetInput`.
 */
import { z } from 'zod';
import type { RecordSelection, StartPosition } from '../domain/consumer-selection.ts';
import { EVENT_ACTIONS, type MessageShape } from '../domain/change-events.ts';
import { UnprocessableError } from '../errors.ts';
import { findProvider } from '../sync/providers/registry.ts';
import type { AppContext, Principal } from '../app-context.ts';

const collectionId = z
  .string()
  .min(3)
  .max(100)
  .regex(/^[a-z][a-z0-9_]*:[A-Za-z0-9_.-]+$/, 'a collection id: "<provider>:<object>", e.g. "stripe:customer"');

export const selectionInputFields = {
  streamId: z.string().uuid().nullish(),
  syncId: z.string().uuid().nullish(),
  collectionIds: z.array(collectionId).min(1).max(100).nullish(),
  provider: z
    .string()
    .min(1)
    .max(50)
    .regex(/^[a-z][a-z0-9_]*$/, 'a provider name, e.g. "stripe"')
    .nullish(),
};

const startIdx = z.union([z.string().regex(/^[1-9][0-9]{0,18}$/, 'a stream position (a positive integer)'), z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)]);

export const startPositionInputFields = {
  deliverPolicy: z.enum(['all', 'new', 'by_start_time', 'by_start_idx']).default('all'),
  /** ISO 8601 date-time, with `deliver_policy: by_start_time`. */
  optStartTime: z.string().datetime({ offset: true }).nullish(),
  /** A stream position (`updated_idx`), with `deliver_policy: by_start_idx`. */
  optStartIdx: startIdx.nullish(),
};

type StartPositionInput = {
  deliverPolicy: StartPosition['deliverPolicy'];
  optStartTime?: string | null | undefined;
  optStartIdx?: string | number | null | undefined;
};

/** The start position the fields describe; 422 when the option the policy needs is missing or one it does not take is given. */
export function startPositionOf(input: StartPositionInput): StartPosition {
  const wrong = (message: string, path: string) => new UnprocessableError('invalid_start_position', message, [{ path, message }]);
  const { deliverPolicy, optStartTime, optStartIdx } = input;
  if (deliverPolicy !== 'by_start_time' && optStartTime != null) throw wrong('opt_start_time goes with deliver_policy "by_start_time"', 'optStartTime');
  if (deliverPolicy !== 'by_start_idx' && optStartIdx != null) throw wrong('opt_start_idx goes with deliver_policy "by_start_idx"', 'optStartIdx');
  switch (deliverPolicy) {
    case 'all':
    case 'new':
      return { deliverPolicy };
    case 'by_start_time':
      if (optStartTime == null) throw wrong('deliver_policy "by_start_time" needs opt_start_time', 'optStartTime');
      return { deliverPolicy, optStartTime: new Date(optStartTime).toISOString() };
    case 'by_start_idx':
      if (optStartIdx == null) throw wrong('deliver_policy "by_start_idx" needs opt_start_idx', 'optStartIdx');
      return { deliverPolicy, optStartIdx: String(optStartIdx) };
  }
}

/**
 * What the consumer delivers (docs/DELIVERY.md, "Change events"): `message_kind` `record` (each
 * record's latest version) or `event` (every version, as a change event), and the event filters.
 */
export const messageInputFields = {
  messageKind: z.enum(['record', 'event']).default('record'),
  actions: z.array(z.enum(EVENT_ACTIONS)).min(1).max(3).nullish(),
  changedFields: z.array(z.string().min(1).max(200)).min(1).max(100).nullish(),
};

type MessageInput = { messageKind: MessageShape['messageKind']; actions?: MessageShape['eventActions'] | undefined; changedFields?: string[] | null | undefined };

/** The message shape the fields describe; 422 `event_filter_without_events` for filters on records. */
export function messageShapeOfInput(input: MessageInput): MessageShape {
  const filters = (['actions', 'changedFields'] as const).filter((key) => input[key] != null);
  if (input.messageKind !== 'event' && filters.length > 0) {
    throw new UnprocessableError(
      'event_filter_without_events',
      'actions and changed_fields filter change events: give message_kind "event"',
      filters.map((path) => ({ path, message: 'only with message_kind "event"' })),
    );
  }
  return {
    messageKind: input.messageKind,
    eventActions: input.actions ? [...new Set(input.actions)] : null,
    eventChangedFields: input.changedFields ? [...new Set(input.changedFields)] : null,
  };
}

/** `POST /v1/<kind>/{id}/reset`: where delivery starts again. */
export const resetInput = z.object({ ...startPositionInputFields }).strict();
export type ResetInput = z.infer<typeof resetInput>;

type SelectionInput = {
  streamId?: string | null | undefined;
  syncId?: string | null | undefined;
  collectionIds?: string[] | null | undefined;
  provider?: string | null | undefined;
};

/**
 * The stream and filters, checked against the caller's account: the sync's stream (or the one
 * given, which must be the sync's), else the account's first stream; collections the sync (when
 * given) syncs; a provider Syncline knows, matching the collections.
 */
export async function resolveSelection(ctx: AppContext, principal: Principal, input: SelectionInput): Promise<RecordSelection> {
  let streamId = input.streamId ?? null;
  const collectionIds = input.collectionIds ? [...new Set(input.collectionIds)] : null;
  const provider = input.provider ?? null;
  if (provider !== null && !findProvider(provider)) {
    throw new UnprocessableError('unknown_provider', `no provider named "${provider}"`, [{ path: 'provider', message: 'unknown provider' }]);
  }
  const otherProvider = provider === null ? [] : (collectionIds ?? []).filter((c) => !c.startsWith(`${provider}:`));
  if (otherProvider.length > 0) {
    throw new UnprocessableError('collection_not_of_provider', `${otherProvider.join(', ')} not of provider "${provider}"`, [{ path: 'collectionIds', message: 'not of the provider' }]);
  }
  if (input.syncId) {
    const sync = await ctx.prisma.sync.findFirst({ where: { id: input.syncId, accountId: principal.accountId } });
    if (!sync) throw new UnprocessableError('sync_not_found', `sync ${input.syncId} not found`, [{ path: 'syncId', message: 'not found' }]);
    if (streamId && streamId !== sync.streamId) throw new UnprocessableError('sync_not_in_stream', 'the sync belongs to another stream', [{ path: 'streamId', message: "not the sync's stream" }]);
    streamId = sync.streamId;
    const unknown = (collectionIds ?? []).filter((c) => !sync.collectionIds.includes(c));
    if (unknown.length > 0) throw new UnprocessableError('unknown_collection', `the sync does not sync ${unknown.join(', ')}`, [{ path: 'collectionIds', message: 'not synced' }]);
  }
  if (!streamId) {
    const first = await ctx.prisma.stream.findFirst({ where: { accountId: principal.accountId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    if (!first) throw new UnprocessableError('stream_required', 'give stream_id (the account has no stream yet)', [{ path: 'streamId', message: 'required' }]);
    streamId = first.id;
  }
  const stream = await ctx.prisma.stream.findFirst({ where: { id: streamId, accountId: principal.accountId } });
  if (!stream) throw new UnprocessableError('stream_not_found', `stream ${streamId} not found`, [{ path: 'streamId', message: 'not found' }]);
  return { streamId, syncId: input.syncId ?? null, collectionIds, provider };
}

/**
 * The stream position delivery starts after: 0 for `all`; the stream's head now for `new`; the
 * position before the first version written at or after the time for `by_start_time` (the head
 * when none is); the position before `opt_start_idx` for `by_start_idx`. Positions are the
 * stream's, whatever the selection: records outside it are skipped by the reader.
 */
export async function resolveStartIdx(ctx: AppContext, streamId: string, start: StartPosition): Promise<bigint> {
  switch (start.deliverPolicy) {
    case 'all':
      return 0n;
    case 'by_start_idx':
      return BigInt(start.optStartIdx) - 1n;
    case 'new':
      return (await ctx.prisma.streamHead.findUnique({ where: { streamId } }))?.lastIdx ?? 0n;
    case 'by_start_time': {
      const { rows } = await ctx.pool.query<{ before: string | null; head: string | null }>(
        `SELECT (SELECT r.updated_idx - 1 FROM records r WHERE r.stream_id = $1 AND r.changed_at >= $2 ORDER BY r.updated_idx LIMIT 1)::text AS before,
                (SELECT h.last_idx FROM stream_heads h WHERE h.stream_id = $1)::text AS head`,
        [streamId, start.optStartTime],
      );
      const row = rows[0];
      return BigInt(row?.before ?? row?.head ?? '0');
    }
  }
}
