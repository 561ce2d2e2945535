import { NotFoundError } from '../errors.ts';
import { recordFeed } from '../live/record-feed.ts';
import { recordVersionOfRow } from '../queries/records.ts';
import { syncStatus } from '../queries/syncs.ts';
import { builder, requirePrincipal } from './builder.ts';
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
      const filter = {
        streamId,
        syncId: args.syncId ? requireId(args.syncId, 'sync') : null,
        collectionIds: args.collectionIds && args.collectionIds.length > 0 ? args.collectionIds : null,
        afterIdx,
      };
      for await (const row of recordFeed(ctx.app, filter)) {
        yield recordVersionOfRow(row);
      }
    },
    resolve: (record) => record,
  }),
}));
