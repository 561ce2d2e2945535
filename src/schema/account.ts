import { createAccount, createAccountInput, createApiToken, createApiTokenInput, revokeApiToken } from '../commands/accounts.ts';
import { parseInput } from '../commands/parse-input.ts';
import { builder, requirePrincipal } from './builder.ts';
import { requireId } from './ids.ts';

builder.prismaObject('Account', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    isRoot: t.exposeBoolean('isRoot'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('ApiToken', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

/** A token's secret exists only in this answer: it is stored hashed. */
const IssuedApiToken = builder.objectRef<{ tokenId: string; token: string }>('IssuedApiToken').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'the secret, shown once' }),
    apiToken: t.prismaField({
      type: 'ApiToken',
      resolve: (query, issued, _args, ctx) => ctx.app.prisma.apiToken.findUniqueOrThrow({ ...query, where: { id: issued.tokenId } }),
    }),
  }),
});

const CreatedAccount = builder.objectRef<{ accountId: string; firstToken: { tokenId: string; token: string } }>('CreatedAccount').implement({
  fields: (t) => ({
    account: t.prismaField({
      type: 'Account',
      resolve: (query, created, _args, ctx) => ctx.app.prisma.account.findUniqueOrThrow({ ...query, where: { id: created.accountId } }),
    }),
    apiToken: t.field({ type: IssuedApiToken, resolve: (created) => created.firstToken }),
  }),
});

const Viewer = builder.objectRef<{ accountId: string; tokenId: string }>('Viewer').implement({
  fields: (t) => ({
    account: t.prismaField({
      type: 'Account',
      resolve: (query, viewer, _args, ctx) => ctx.app.prisma.account.findUniqueOrThrow({ ...query, where: { id: viewer.accountId } }),
    }),
    apiTokens: t.prismaField({
      type: ['ApiToken'],
      resolve: (query, viewer, _args, ctx) =>
        ctx.app.prisma.apiToken.findMany({ ...query, where: { accountId: viewer.accountId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({ type: Viewer, resolve: (_root, _args, ctx) => requirePrincipal(ctx) }),
}));

builder.mutationFields((t) => ({
  createAccount: t.field({
    type: CreatedAccount,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => createAccount(ctx.app, requirePrincipal(ctx), parseInput(createAccountInput, { name: args.name }, 'input')),
  }),
  createApiToken: t.field({
    type: IssuedApiToken,
    args: { name: t.arg.string() },
    resolve: (_root, args, ctx) =>
      createApiToken(ctx.app, requirePrincipal(ctx), parseInput(createApiTokenInput, args.name ? { name: args.name } : {}, 'input')),
  }),
  revokeApiToken: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'api token');
      await revokeApiToken(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
}));
