import { z } from 'zod';

/** `wait_for` (ms) long-polls; `wait_ms` is accepted as an alias. */
export const nextInput = z
  .object({
    batch_size: z.coerce.number().int().min(1).max(1000).default(1),
    wait_for: z.coerce.number().int().min(0).max(30_000).optional(),
    wait_ms: z.coerce.number().int().min(0).max(30_000).optional(),
  })
  .strict();

export const ackInput = z.object({ ack_tokens: z.array(z.string().min(1).max(100)).min(1).max(1000) }).strict();
export const nackInput = ackInput.extend({ delay_ms: z.number().int().min(0).max(12 * 3600 * 1000).default(0) }).strict();
