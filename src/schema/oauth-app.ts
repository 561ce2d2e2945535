import { createOAuthApp, createOAuthAppInput, deleteOAuthApp } from '../commands/oauth-apps.ts';
import { parseInput } from '../commands/parse-input.ts';
import { builder, requirePrincipal } from './builder.ts';
import { requireId } from './ids.ts';

export const OAuthAppRef = builder.prismaNode('OAuthApp', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    provider: t.exposeString('provider'),
    clientId: t.exposeString('clientId'),
    clientSecret: t.exposeString('clientSecretHint', { description: 'redacted' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  oauthApps: t.prismaConnection({
    type: 'OAuthApp',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.app.prisma.oAuthApp.findMany({ ...query, where: { accountId: requirePrincipal(ctx).accountId }, orderBy: { id: 'asc' } }),
  }),
}));

builder.mutationFields((t) => ({
  createOAuthApp: t.prismaField({
    type: 'OAuthApp',
    args: {
      provider: t.arg.string({ required: true }),
      clientId: t.arg.string({ required: true }),
      clientSecret: t.arg.string({ required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      const input = parseInput(createOAuthAppInput, args, 'input');
      const id = await createOAuthApp(ctx.app, requirePrincipal(ctx), input);
      return ctx.app.prisma.oAuthApp.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteOAuthApp: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'oauth app');
      await deleteOAuthApp(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
}));
