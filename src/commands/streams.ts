import { z } from 'zod';
import { streamDecider } from '../domain/streams/decide.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';

const handleStream = commandHandler('stream', streamDecider);

export const streamName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "-" and "." only, starting with a letter or digit');
export const createStreamInput = z.object({ name: streamName }).strict();

export async function createStream(ctx: AppContext, principal: Principal, input: z.infer<typeof createStreamInput>): Promise<string> {
  const taken = await ctx.prisma.stream.findUnique({ where: { accountId_name: { accountId: principal.accountId, name: input.name } } });
  if (taken) throw new ConflictError('stream_name_taken', `a stream named "${input.name}" already exists`);
  const streamId = ctx.newId();
  await handleStream(ctx.eventStore, streamId, {
    type: 'CreateStream',
    data: { streamId, accountId: principal.accountId, name: input.name },
    metadata: { now: ctx.now() },
  });
  return streamId;
}

export async function deleteStream(ctx: AppContext, principal: Principal, streamId: string): Promise<void> {
  const stream = await ctx.prisma.stream.findFirst({ where: { id: streamId, accountId: principal.accountId } });
  if (!stream) throw new NotFoundError('stream', streamId);
  const syncs = await ctx.prisma.sync.count({ where: { streamId } });
  if (syncs > 0) throw new ConflictError('stream_not_empty', `stream ${streamId} still has ${syncs} sync(s); delete them first`);
  await handleStream(ctx.eventStore, streamId, {
    type: 'DeleteStream',
    data: { streamId, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}
