import { z } from 'zod';

/** `wait_for` (ms) long-polls; `wait_ms` is accepted as an alias. */
export const nextInput = z
  .object({
    batch_size: z.coerce.number().int().min(1).max(1000).default(1),
    wait_for: z.coerce.number().int().min(0).max(30_000).optional(),
    wait_ms: z.coerce.number().int().min(0).max(30_000).optional(),
  })
  .strict();

const ackTokens = z.array(z.string().min(1).max(100)).min(1).max(1000);

/**
 * `ack_tokens` (this API) or `ack_ids` (Sequin's pull API): the same tokens under either name, on
 * every ack and nack route, so a client written against one works against the other.
 */
const eitherSpelling = z.object({ ack_tokens: ackTokens.optional(), ack_ids: ackTokens.optional() });
const oneSpelling = {
  check: (input: z.infer<typeof eitherSpelling>) => (input.ack_tokens === undefined) !== (input.ack_ids === undefined),
  issue: { message: 'required: ack_tokens or ack_ids (two names for the same tokens), not both', path: ['ack_tokens'] },
};

export const ackInput = eitherSpelling
  .strict()
  .refine(oneSpelling.check, oneSpelling.issue)
  .transform(({ ack_tokens, ack_ids }) => ({ ack_tokens: (ack_tokens ?? ack_ids) as string[] }));

export const nackInput = eitherSpelling
  .extend({ delay_ms: z.number().int().min(0).max(12 * 3600 * 1000).default(0) })
  .strict()
  .refine(oneSpelling.check, oneSpelling.issue)
  .transform(({ ack_tokens, ack_ids, delay_ms }) => ({ ack_tokens: (ack_tokens ?? ack_ids) as string[], delay_ms }));
