import { z } from 'zod';
import type { getPostgresConsumer, listPostgresConsumers, listPostgresDeliveries } from '../../queries/postgres-consumers.ts';
import type { AllHold, Presents } from './presents.ts';
import { messageShape, sinkStatusFields } from './responses.ts';
import { deliveryPage } from './sink-responses.ts';

/* The PostgreSQL consumers' answers (src/queries/postgres-consumers.ts), beside the others of responses.ts. */

const id = z.uuid();
const timestamp = z.iso.datetime().meta({ description: 'UTC, ISO 8601 with milliseconds' });
const position = z.number().int().min(0);

export const postgresConsumerView = z
  .object({
    id,
    name: z.string(),
    stream_id: id,
    sync_id: id.nullable(),
    collection_ids: z.array(z.string()).nullable().meta({ description: 'null: every collection' }),
    provider: z.string().nullable(),
    ...messageShape,
    deliver_policy: z.enum(['all', 'new', 'by_start_time', 'by_start_idx']).meta({ description: 'of the creation, or of the last reset' }),
    opt_start_time: timestamp.nullable(),
    opt_start_idx: position.nullable(),
    start_idx: position.meta({ description: 'delivery started (or starts again) after this stream position' }),
    reset_count: z.number().int().min(0),
    connection: z.object({
      url: z.string().nullable().meta({ description: 'the URL as given, without its password; null when the fields were given' }),
      host: z.string(),
      port: z.number().int(),
      database: z.string(),
      user: z.string(),
      ssl: z.boolean(),
      ssl_mode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']),
      password: z.string().nullable().meta({ description: 'a hint (`…7f2a`), never the password; null when none is set' }),
      has_password: z.boolean(),
    }),
    table: z.string().meta({ description: '`schema.table`' }),
    create_table: z.boolean(),
    deletes: z.enum(['mark', 'delete']),
    batch_size: z.number().int(),
    ...sinkStatusFields,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'PostgresConsumer' });

export const postgresConsumerPage = z
  .object({
    data: z.array(postgresConsumerView),
    next_cursor: z.string().nullable().meta({ description: 'pass it as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'PostgresConsumerPage' });

export const postgresDeliveryPage = deliveryPage('batch_id', 'the batch (one transaction in the target), the same on every attempt at it', 'Postgres');

type Answer<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

/** The presenters against their schemas: `tsc` fails here when one drifts from the other. */
export type PostgresConsumerPresenterChecks = AllHold<
  [
    Presents<typeof postgresConsumerView, Answer<typeof getPostgresConsumer>>,
    Presents<typeof postgresConsumerPage, Answer<typeof listPostgresConsumers>>,
    Presents<typeof postgresDeliveryPage, Answer<typeof listPostgresDeliveries>>,
  ]
>;
