import { builder, requirePrincipal, type GraphQLContext } from './builder.ts';
import { requireId } from './ids.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { recordPageBounds, type RecordPageScope } from '../queries/record-pages.ts';

/** A record version (DESIGN.md §2). `updatedIdx` is a string: positions outgrow GraphQL's 32-bit Int. */
const RecordRef = builder.prismaObject('Record', {
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

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

/** A page's cursor names a position: the page after it starts past that position. */
const toCursor = (idx: bigint) => Buffer.from(`idx:${idx}`).toString('base64');
function fromCursor(cursor: string): bigint {
  const match = /^idx:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new ValidationError('Invalid cursor: pass the endCursor of a previous page', [{ path: 'after', message: 'not a cursor of records' }]);
  return BigInt(match[1]!);
}

interface RecordsArgs {
  collectionId?: string | null | undefined;
  upstreamId?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}

/**
 * One page of the records in `scope`, bounded by the request's answer budget. `authorize` runs in
 * the field's turn, before anything is read, and throws when the caller may not read the scope.
 */
async function recordsConnection(ctx: GraphQLContext, scope: RecordPageScope, args: RecordsArgs, authorize: () => Promise<void>) {
  if (args.last != null || args.before != null) throw new ValidationError('records pages forward only: use first and after');
  if (args.first != null && args.first < 0) throw new ValidationError('first must be a non-negative integer');
  const afterIdx = args.after ? fromCursor(args.after) : 0n;
  const limit = Math.min(args.first ?? DEFAULT_PAGE, MAX_PAGE);
  const filter = { ...scope, collectionId: args.collectionId, upstreamId: args.upstreamId };
  // The request's fields take turns in document order (answer-budget.ts).
  const page = await ctx.answerBudget.take<{ lastIdx: bigint | null; more: boolean }>(async (left, untouched) => {
    await authorize();
    if (args.collectionId?.includes('\u0000')) throw new NotFoundError('collection', args.collectionId);
    if (args.upstreamId?.includes('\u0000')) throw new NotFoundError('record', args.upstreamId);
    if (limit === 0 || left <= 0) return { value: { lastIdx: null, more: left <= 0 && limit > 0 }, bytes: 0 };
    const bounds = await recordPageBounds(ctx.app.pool, { ...filter, afterIdx, limit, maxBytes: left });
    // Past the first page of the request, a record that alone is over what is left waits for the next request.
    if (!untouched && bounds.bytes > left) return { value: { lastIdx: null, more: true }, bytes: 0 };
    return { value: bounds, bytes: bounds.bytes };
  });
  const rows =
    page.lastIdx === null
      ? []
      : await ctx.app.prisma.record.findMany({
          where: { ...scope, collectionId: filter.collectionId ?? undefined, upstreamId: filter.upstreamId ?? undefined, updatedIdx: { gt: afterIdx, lte: page.lastIdx } },
          orderBy: { updatedIdx: 'asc' },
        });
  const edges = rows.map((node) => ({ cursor: toCursor(node.updatedIdx), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.more,
      hasPreviousPage: afterIdx > 0n,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? (args.after || null),
    },
  };
}

const BUDGET_NOTE =
  'A page ends early when the request\'s records reach SYNCLINE_MAX_ANSWER_BYTES, shared by every field of the request: then hasNextPage is true, and a field read after the budget is spent answers no records, hasNextPage true and endCursor where it started.';
const upstreamIdArg = { description: 'Only the record with this upstream id (the console searches by it).' };

builder.queryFields((t) => ({
  records: t.connection({
    type: RecordRef,
    args: { syncId: t.arg.id({ required: true }), collectionId: t.arg.string(), upstreamId: t.arg.string(upstreamIdArg) },
    description: `A sync's records in updated_idx order, forward (first, after). ${BUDGET_NOTE}`,
    resolve: (_root, args, ctx) => {
      const syncId = requireId(args.syncId, 'sync');
      return recordsConnection(ctx, { syncId }, args, async () => {
        const sync = await ctx.app.prisma.sync.findFirst({ where: { id: syncId, accountId: requirePrincipal(ctx).accountId } });
        if (!sync) throw new NotFoundError('sync', syncId);
      });
    },
  }),
}));

builder.prismaObjectFields('Stream', (t) => ({
  records: t.connection({
    type: RecordRef,
    args: { syncId: t.arg.id({ description: 'Only this sync\'s records (a sync of this stream).' }), collectionId: t.arg.string(), upstreamId: t.arg.string(upstreamIdArg) },
    description: `The records of every sync of the stream (or of one, with syncId) in updated_idx order, forward (first, after). ${BUDGET_NOTE}`,
    resolve: (stream, args, ctx) => {
      if (!args.syncId) return recordsConnection(ctx, { streamId: stream.id }, args, async () => undefined);
      const syncId = requireId(args.syncId, 'sync');
      return recordsConnection(ctx, { syncId }, args, async () => {
        const sync = await ctx.app.prisma.sync.findFirst({ where: { id: syncId, streamId: stream.id, accountId: requirePrincipal(ctx).accountId } });
        if (!sync) throw new NotFoundError('sync', syncId);
      });
    },
  }),
}));
