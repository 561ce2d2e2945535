import { addCredential, credentialInput, credentialPatchInput, deleteCredential, updateCredential } from '../commands/credentials.ts';
import { parseInput } from '../commands/parse-input.ts';
import { builder, requirePrincipal } from './builder.ts';
import { idInput, rawId, requireId } from './ids.ts';
import { withoutUndefined } from './input.ts';

const hints = (c: { secretHints: unknown }) => c.secretHints as Record<string, string>;

/** Secrets are never exposed: redacted hints and has* flags only. */
export const CredentialRef = builder.prismaNode('Credential', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    kind: t.exposeString('kind'),
    name: t.exposeString('name', { nullable: true }),
    oauthAppId: t.exposeString('oauthAppId', { nullable: true }),
    apiBaseUrl: t.exposeString('apiBaseUrl', { nullable: true }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    accessToken: t.string({ nullable: true, description: 'redacted', resolve: (c) => hints(c).access_token ?? null }),
    refreshToken: t.string({ nullable: true, description: 'redacted', resolve: (c) => hints(c).refresh_token ?? null }),
    hasAccessToken: t.boolean({ resolve: (c) => hints(c).access_token !== undefined }),
    hasRefreshToken: t.boolean({ resolve: (c) => hints(c).refresh_token !== undefined }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const CredentialFieldsInput = builder.inputType('CredentialInput', {
  fields: (t) => ({
    kind: t.string({ required: false }),
    name: t.string(),
    accessToken: t.string(),
    secret: t.string(),
    refreshToken: t.string(),
    oauthAppId: t.id(),
    apiBaseUrl: t.string(),
    metadata: t.field({ type: 'JSON' }),
  }),
});

type CredentialArgs = typeof CredentialFieldsInput.$inferInput;

/** The command's input: ids as uuids; `null` clears a field in an update (metadata: null is not given). */
const credentialInputOf = (input: CredentialArgs) => withoutUndefined({ ...input, oauthAppId: idInput(input.oauthAppId), metadata: input.metadata ?? undefined });

builder.queryFields((t) => ({
  credentials: t.prismaConnection({
    type: 'Credential',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.app.prisma.credential.findMany({ ...query, where: { accountId: requirePrincipal(ctx).accountId }, orderBy: { id: 'asc' } }),
  }),
  credential: t.prismaField({
    type: 'Credential',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = rawId(args.id);
      return id ? ctx.app.prisma.credential.findFirst({ ...query, where: { id, accountId: requirePrincipal(ctx).accountId } }) : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  createCredential: t.prismaField({
    type: 'Credential',
    args: { input: t.arg({ type: CredentialFieldsInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await addCredential(ctx.app, requirePrincipal(ctx), parseInput(credentialInput, credentialInputOf(args.input), 'input'));
      return ctx.app.prisma.credential.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateCredential: t.prismaField({
    type: 'Credential',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: CredentialFieldsInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'credential');
      await updateCredential(ctx.app, requirePrincipal(ctx), id, parseInput(credentialPatchInput, credentialInputOf(args.input), 'input'));
      return ctx.app.prisma.credential.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteCredential: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'credential');
      await deleteCredential(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
}));
