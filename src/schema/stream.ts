import { createStream, createStreamInput, deleteStream } from '../commands/streams.ts';
import { parseInput } from '../commands/parse-input.ts';
import { builder, requirePrincipal } from './builder.ts';
import { rawId, requireId } from './ids.ts';

export const StreamRef = builder.prismaNode('Stream', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id', { description: 'The id used by the REST API' }),
    name: t.exposeString('name'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  streams: t.prismaConnection({
    type: 'Stream',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.app.prisma.stream.findMany({ ...query, where: { accountId: requirePrincipal(ctx).accountId }, orderBy: { id: 'asc' } }),
  }),
  stream: t.prismaField({
    type: 'Stream',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = rawId(args.id);
      return id ? ctx.app.prisma.stream.findFirst({ ...query, where: { id, accountId: requirePrincipal(ctx).accountId } }) : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  createStream: t.prismaField({
    type: 'Stream',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await createStream(ctx.app, requirePrincipal(ctx), parseInput(createStreamInput, { name: args.name }, 'input'));
      return ctx.app.prisma.stream.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteStream: t.id({
    description: 'Deletes a stream; returns its id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'stream');
      await deleteStream(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
}));
