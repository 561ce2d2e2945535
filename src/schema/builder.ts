import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import type { AppContext, Principal } from '../app-context.ts';
import type { AnswerBudget } from './answer-budget.ts';
import type { Loaders } from './loaders.ts';
import { UnauthorizedError } from '../errors.ts';
import type { PrismaClient } from '../db/prisma.ts';

export interface GraphQLContext {
  app: AppContext;
  principal: Principal | null;
  /** The bytes of records this request may still answer (answer-budget.ts). */
  answerBudget: AnswerBudget;
  /** Per-item queries of list resolvers, batched per operation (loaders.ts). */
  loaders: Loaders;
}

export function requirePrincipal(ctx: GraphQLContext): Principal {
  if (!ctx.principal) throw new UnauthorizedError();
  return ctx.principal;
}

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: GraphQLContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [RelayPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // An id that names nothing the caller can see (unknown, deleted, another account's) is null.
    nodeQueryOptions: { resolve: (_root, args, _ctx, _info, resolveNode) => nullWhenMissing(() => resolveNode(args.id)) },
    nodesQueryOptions: {
      resolve: (_root, args, _ctx, _info, resolveNodes) => args.ids.map((id) => nullWhenMissing(async () => (await resolveNodes([id]))[0] ?? null)),
    },
  },
  prisma: {
    // The client comes from each request's context: no module-level database handle.
    client: (ctx) => ctx.app.prisma as unknown as PrismaClient,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
});

async function nullWhenMissing(load: () => unknown): Promise<unknown> {
  try {
    return await load();
  } catch (error) {
    // P2025: no such row; P2023: the id is not even a uuid (a global id built by hand).
    const code = (error as { code?: unknown }).code;
    const missing = code === 'P2025' || code === 'P2023' || /No record was found|Expected a record|Error creating UUID|invalid input syntax for type uuid/.test((error as Error).message ?? '');
    if (missing) return null;
    throw error;
  }
}

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
builder.queryType({});
builder.mutationType({});
