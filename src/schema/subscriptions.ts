import { NotFoundError } from '../errors.ts';
import { eventFeed, recordFeed } from '../live/record-feed.ts';
import { EVENT_ACTIONS, type EventAction } from '../domain/change-events.ts';
import type { ChangeEventRow } from '../queries/change-events.ts';
import { ValidationError } from '../errors.ts';
import { recordVersionOfRow } from '../queries/records.ts';
import { syncStatus } from '../queries/syncs.ts';
import { builder, requirePrincipal, type GraphQLContext } from './builder.ts';
import { requireId } from './ids.ts';
import { StreamRecord } from './http-consumer.ts';
import { SyncStatus } from './sync.ts';

builder.subscriptionType({});

/**
 * Yields the current status, then the status after every change of the sync (coalesced: a burst
 * of changes while a client reads yields one update with the latest state).
 */
builder.subscriptionFields((t) => ({
  syncStatusChanged: t.field({
    type: SyncStatus,
    args: { syncId: t.arg.id({ required: true }) },
    subscribe: async function* (_root, args, ctx) {
      const principal = requirePrincipal(ctx);
      const syncId = requireId(args.syncId, 'sync');
      let wake: (() => void) | null = null;
      let dirty = true;
      const onChange = (message: { syncId: string }) => {
        if (message.syncId !== syncId) return;
        dirty = true;
        wake?.();
      };
      const offSync = ctx.app.bus.on('sync', onChange);
      const offRecords = ctx.app.bus.on('records', onChange);
      try {
        for (;;) {
          if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          dirty = false;
          yield await syncStatus(ctx.app, principal, syncId);
        }
      } finally {
        offSync();
        offRecords();
      }
    },
    resolve: (status) => status,
  }),
}));

builder.subscriptionFields((t) => ({
  recordChanged: t.field({
    type: StreamRecord,
    description: 'Replays records after `afterIdx` (default: the current head, i.e. only new changes), then streams changes live, in updated_idx order. Resume with the last updatedIdx seen.',
    args: {
      streamId: t.arg.id({ required: true }),
      syncId: t.arg.id(),
      collectionIds: t.arg.stringList(),
      afterIdx: t.arg.string(),
    },
    subscribe: async function* (_root, args, ctx) {
      for await (const row of recordFeed(ctx.app, await feedFilter(ctx, args))) {
        yield recordVersionOfRow(row);
      }
    },
    resolve: (record) => record,
  }),
}));

type FeedArgs = { streamId: string | number; syncId?: string | number | null; collectionIds?: string[] | null; afterIdx?: string | null };

/** The stream (the caller's), the filters and the position after which a feed starts (default: the head). */
async function feedFilter(ctx: GraphQLContext, args: FeedArgs) {
  const principal = requirePrincipal(ctx);
  const streamId = requireId(args.streamId, 'stream');
  const stream = await ctx.app.prisma.stream.findFirst({ where: { id: streamId, accountId: principal.accountId } });
  if (!stream) throw new NotFoundError('stream', streamId);
  let afterIdx: bigint;
  if (args.afterIdx != null) {
    if (!/^\d{1,18}$/.test(args.afterIdx)) throw new NotFoundError('position', args.afterIdx);
    afterIdx = BigInt(args.afterIdx);
  } else {
    afterIdx = (await ctx.app.prisma.streamHead.findUnique({ where: { streamId } }))?.lastIdx ?? 0n;
  }
  return {
    streamId,
    syncId: args.syncId ? requireId(args.syncId, 'sync') : null,
    collectionIds: args.collectionIds && args.collectionIds.length > 0 ? args.collectionIds : null,
    afterIdx,
  };
}

/** A change event (docs/DELIVERY.md, "Change events"): what a version did, and the previous values of the data fields an update changed. */
const RecordEvent = builder.objectRef<ChangeEventRow>('RecordEvent').implement({
  fields: (t) => ({
    action: t.string({ description: 'inserted | updated | deleted', resolve: (e) => e.action }),
    changes: t.field({ type: 'JSON', nullable: true, description: 'updated: {field: previous value} of the top-level data fields that differ; else null', resolve: (e) => e.changes }),
    record: t.field({ type: StreamRecord, resolve: (e) => recordVersionOfRow(e) }),
    occurredAt: t.string({ description: 'when Syncline recorded the version', resolve: (e) => e.changed_at.toISOString() }),
  }),
});

builder.subscriptionFields((t) => ({
  recordEvent: t.field({
    type: RecordEvent,
    description:
      'Replays the change events after `afterIdx` (default: the current head), then streams them live: every version of every record, in updatedIdx order. `actions` and `changedFields` (updates that changed one of these data fields) filter them. Resume with the last record.updatedIdx seen.',
    args: {
      streamId: t.arg.id({ required: true }),
      syncId: t.arg.id(),
      collectionIds: t.arg.stringList(),
      afterIdx: t.arg.string(),
      actions: t.arg.stringList(),
      changedFields: t.arg.stringList(),
    },
    subscribe: async function* (_root, args, ctx) {
      const filter = await feedFilter(ctx, args);
      const actions = args.actions && args.actions.length > 0 ? args.actions : null;
      const wrong = (actions ?? []).filter((a) => !(EVENT_ACTIONS as readonly string[]).includes(a));
      if (wrong.length > 0) throw new ValidationError('invalid actions', [{ path: 'actions', message: `not an action: ${wrong.join(', ')} (inserted, updated, deleted)` }]);
      const changedFields = args.changedFields && args.changedFields.length > 0 ? args.changedFields : null;
      yield* eventFeed(ctx.app, { ...filter, eventActions: actions as EventAction[] | null, eventChangedFields: changedFields });
    },
    resolve: (event) => event,
  }),
}));
