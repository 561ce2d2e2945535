import { z } from 'zod';
import { timestamp } from './responses.ts';

/* What every push consumer answers of its sink runner's delivery log and dead letters (src/queries/sink-logs.ts). */

const count = z.number().int().min(0);

/** `{at, <idName>, batch_size, status, latency_ms, error, response_excerpt}`, as a page. */
export const deliveryPage = <K extends string>(idName: K, idDescription: string, name: string) =>
  z
    .object({
      data: z.array(
        z
          .object({
            at: timestamp.meta({ description: 'when the attempt started' }),
            ...({ [idName]: z.string().meta({ description: idDescription }) } as Record<K, z.ZodString>),
            batch_size: count.meta({ description: 'records in the batch' }),
            status: z.number().int().nullable().meta({ description: "the target's HTTP status; null when there was no HTTP answer" }),
            latency_ms: count,
            error: z.string().nullable().meta({ description: 'why the attempt failed (at most 2 KB); null: delivered' }),
            response_excerpt: z.string().nullable().meta({ description: "the first 2 KB of the target's answer" }),
          })
          .meta({ id: `${name}Delivery` }),
      ),
      next_cursor: z.string().nullable().meta({ description: 'pass it as `cursor` for the next (older) page; null on the last page' }),
    })
    .meta({ id: `${name}DeliveryPage` });

/** A page of dead letters, newest first. */
export const deadLetterPage = <K extends string>(idName: K, idDescription: string, name: string) =>
  z
    .object({
      data: z.array(
        z
          .object({
            sync_id: z.uuid(),
            collection_id: z.string(),
            upstream_id: z.string(),
            updated_idx: count.meta({ description: 'the version that could not be delivered' }),
            ...({ [idName]: z.string().meta({ description: idDescription }) } as Record<K, z.ZodString>),
            attempts: count,
            last_error: z.string(),
            first_attempt_at: timestamp,
            last_attempt_at: timestamp,
            dead_at: timestamp,
            redelivery_pending: z.boolean().meta({ description: 'asked to be delivered again, not yet done' }),
          })
          .meta({ id: `${name}DeadLetter` }),
      ),
      next_cursor: z.string().nullable().meta({ description: 'pass it as `cursor` for the next (older) page; null on the last page' }),
    })
    .meta({ id: `${name}DeadLetterPage` });

export const redeliveryView = z.object({ requested: count.meta({ description: 'dead letters asked to be delivered again' }) }).meta({ id: 'Redelivery' });

