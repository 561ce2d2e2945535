import { z } from 'zod';
import type { AppContext, Principal } from '../app-context.ts';
import { redeliverSinkDeadLetters } from '../consumers/sinks/dead-letters.ts';
import { findWebhookConsumer } from './webhook-consumers.ts';

/**
 * `POST /v1/webhook-consumers/{id}/dead-letters/redeliver`, `redeliverWebhookDeadLetters`: the
 * dead letters of these upstream ids (of any sync and collection), or all of them; exactly one of
 * the two.
 */
export const redeliverDeadLettersInput = z
  .object({
    upstreamIds: z.array(z.string().min(1).max(255)).min(1).max(1000).optional().meta({ description: 'the dead letters of these records (their upstream ids)' }),
    all: z.literal(true).optional().meta({ description: 'every dead letter of the consumer' }),
  })
  .strict()
  .superRefine((input, ctx) => {
    if ((input.upstreamIds === undefined) === (input.all === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['upstreamIds'], message: 'give exactly one of upstream_ids or all: true' });
    }
  })
  .meta({ description: 'exactly one of `upstream_ids` and `all: true`' });
export type RedeliverDeadLettersInput = z.infer<typeof redeliverDeadLettersInput>;

/**
 * Asks the consumer's runner to deliver these dead letters again (their records' current
 * versions), before its next batch. Not an event: dead letters are the runner's state, like its
 * position. Answers how many dead letters were asked for.
 */
export async function redeliverWebhookDeadLetters(ctx: AppContext, principal: Principal, idOrName: string, input: RedeliverDeadLettersInput): Promise<{ requested: number }> {
  const consumer = await findWebhookConsumer(ctx, principal, idOrName);
  return redeliverSinkDeadLetters(ctx, consumer.id, input.upstreamIds ? { upstreamIds: input.upstreamIds } : { all: true });
}
