import type { Stream } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

export const presentStream = (s: Stream) => ({ id: s.id, name: s.name, created_at: s.createdAt.toISOString() });

export async function listStreams(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.stream.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  return toPage(rows, page, presentStream);
}

export async function getStream(ctx: AppContext, principal: Principal, id: string) {
  const stream = await ctx.prisma.stream.findFirst({ where: { id, accountId: principal.accountId } });
  if (!stream) throw new NotFoundError('stream', id);
  return presentStream(stream);
}
