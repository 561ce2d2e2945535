import { builder, requirePrincipal } from './builder.ts';
import { requireId } from './ids.ts';
import { NotFoundError } from '../errors.ts';

/** A record version (DESIGN.md §2). `updatedIdx` is a string: positions outgrow GraphQL's 32-bit Int. */
builder.prismaObject('Record', {
  fields: (t) => ({
    syncId: t.exposeString('syncId'),
    collectionId: t.exposeString('collectionId'),
    upstreamId: t.exposeString('upstreamId'),
    updatedIdx: t.string({ resolve: (r) => r.updatedIdx.toString() }),
    upstreamCreatedAt: t.expose('upstreamCreatedAt', { type: 'DateTime', nullable: true }),
    upstreamUpdatedAt: t.expose('upstreamUpdatedAt', { type: 'DateTime', nullable: true }),
    deleted: t.exposeBoolean('deleted'),
    data: t.expose('data', { type: 'JSON' }),
  }),
});

builder.queryFields((t) => ({
  records: t.prismaConnection({
    type: 'Record',
    cursor: 'syncId_collectionId_upstreamId',
    args: { syncId: t.arg.id({ required: true }), collectionId: t.arg.string(), upstreamId: t.arg.string({ description: 'Only the record with this upstream id (the console searches by it).' }) },
    description: "A sync's records in updated_idx order.",
    resolve: async (query, _root, args, ctx) => {
      const syncId = requireId(args.syncId, 'sync');
      const sync = await ctx.app.prisma.sync.findFirst({ where: { id: syncId, accountId: requirePrincipal(ctx).accountId } });
      if (!sync) throw new NotFoundError('sync', syncId);
      if (args.collectionId?.includes('\u0000')) throw new NotFoundError('collection', args.collectionId);
      if (args.upstreamId?.includes('\u0000')) throw new NotFoundError('record', args.upstreamId);
      return ctx.app.prisma.record.findMany({
        ...query,
        where: { syncId, ...(args.collectionId ? { collectionId: args.collectionId } : {}), ...(args.upstreamId ? { upstreamId: args.upstreamId } : {}) },
        orderBy: { updatedIdx: 'asc' },
      });
    },
  }),
}));
