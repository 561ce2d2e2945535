import { builder, requirePrincipal, type GraphQLContext } from './builder.ts';
import { CredentialRef } from './credential.ts';
import { OAuthAppRef } from './oauth-app.ts';
import { StreamRef } from './stream.ts';
import { SyncRef } from './sync.ts';

/*
 * The walks between types (`sync { stream { name } credential { kind } }`), on the Prisma
 * relations: Pothos loads them with the query of the field that loaded their parent.
 *
 * A walk answers only what the caller's own root queries would: rows of the caller's account.
 * The root token lists other accounts' syncs (sync-scope.ts) but reads no other account's
 * credential, stream or consumer; so every relation is filtered by the caller's account, not by
 * its parent's. A row deleted while another still names it (no foreign keys: prisma/schema.prisma)
 * is null, or absent from a list.
 */

const accountOf = (ctx: GraphQLContext) => requirePrincipal(ctx).accountId;

/** The related row when it belongs to the caller's account; null otherwise. */
function owned<T extends { accountId: string }>(row: T | null | undefined, ctx: GraphQLContext): T | null {
  return row && row.accountId === accountOf(ctx) ? row : null;
}

/** A list relation as a connection, oldest id first like the root lists, within the caller's account. */
const withinAccount = (_args: unknown, ctx: GraphQLContext) => ({ where: { accountId: accountOf(ctx) }, orderBy: { id: 'asc' as const } });

builder.prismaObjectFields('Sync', (t) => ({
  stream: t.field({
    type: StreamRef,
    nullable: true,
    select: (_args, _ctx, nested) => ({ stream: nested() }),
    resolve: (sync, _args, ctx) => owned(sync.stream, ctx),
  }),
  credential: t.field({
    type: CredentialRef,
    nullable: true,
    select: (_args, _ctx, nested) => ({ credential: nested() }),
    resolve: (sync, _args, ctx) => owned(sync.credential, ctx),
  }),
  httpConsumers: t.relatedConnection('httpConsumers', { cursor: 'id', query: withinAccount }),
  natsConsumers: t.relatedConnection('natsConsumers', { cursor: 'id', query: withinAccount }),
  postgresConsumers: t.relatedConnection('postgresConsumers', { cursor: 'id', query: withinAccount }),
  webhookConsumers: t.relatedConnection('webhookConsumers', { cursor: 'id', query: withinAccount }),
}));

builder.prismaObjectFields('Stream', (t) => ({
  syncs: t.relatedConnection('syncs', { cursor: 'id', query: withinAccount }),
  httpConsumers: t.relatedConnection('httpConsumers', { cursor: 'id', query: withinAccount }),
  natsConsumers: t.relatedConnection('natsConsumers', { cursor: 'id', query: withinAccount }),
  postgresConsumers: t.relatedConnection('postgresConsumers', { cursor: 'id', query: withinAccount }),
  webhookConsumers: t.relatedConnection('webhookConsumers', { cursor: 'id', query: withinAccount }),
}));

builder.prismaObjectFields('Credential', (t) => ({
  oauthApp: t.field({
    type: OAuthAppRef,
    nullable: true,
    select: (_args, _ctx, nested) => ({ oauthApp: nested() }),
    resolve: (credential, _args, ctx) => owned(credential.oauthApp, ctx),
  }),
  syncs: t.relatedConnection('syncs', { cursor: 'id', query: withinAccount }),
}));

builder.prismaObjectFields('OAuthApp', (t) => ({
  credentials: t.relatedConnection('credentials', { cursor: 'id', query: withinAccount }),
}));

// Every kind of consumer links to its stream and, when it follows one, its sync.
for (const consumerModel of ['HttpConsumer', 'NatsConsumer', 'PostgresConsumer', 'WebhookConsumer'] as const) {
  builder.prismaObjectFields(consumerModel, (t) => ({
    stream: t.field({
      type: StreamRef,
      nullable: true,
      select: (_args, _ctx, nested) => ({ stream: nested() }),
      resolve: (consumer, _args, ctx) => owned(consumer.stream, ctx),
    }),
    sync: t.field({
      type: SyncRef,
      nullable: true,
      select: (_args, _ctx, nested) => ({ sync: nested() }),
      resolve: (consumer, _args, ctx) => owned(consumer.sync, ctx),
    }),
  }));
}

builder.prismaObjectFields('MutationRun', (t) => ({
  sync: t.field({
    type: SyncRef,
    nullable: true,
    select: (_args, _ctx, nested) => ({ sync: nested() }),
    resolve: (run, _args, ctx) => owned(run.sync, ctx),
  }),
}));
