import { z } from 'zod';
import { parseInput } from '../commands/parse-input.ts';
import type { SinkDeadLetter, SinkDeadLetterPage } from '../consumers/sinks/dead-letters.ts';
import type { SinkDeliveryEntry, SinkDeliveryPage } from '../consumers/sinks/deliveries.ts';
import type { PageInput } from '../queries/pagination.ts';
import { builder } from './builder.ts';
import { withoutNulls } from './input.ts';

/*
 * What push consumers (webhook, PostgreSQL; DESIGN.md §7b) answer of their sink runner: the error
 * of their status, their delivery log and dead letters as pages (`nodes`, `nextCursor`), the
 * batch id under each kind's name for it (`webhookId`, `batchId`).
 */

export const SinkError = builder.objectRef<{ message: string; at: string }>('SinkError').implement({
  description: 'The failure that keeps a push consumer from progressing.',
  fields: (t) => ({
    message: t.exposeString('message'),
    at: t.exposeString('at'),
  }),
});

/** `first` (1–1000, default 100) and `after` (a `nextCursor`) as the log readers take them. */
const pageArgs = z.object({ first: z.number().int().min(1).max(1000).default(100), after: z.string().max(500).optional() }).strict();

export function logPage(args: { first?: number | null | undefined; after?: string | null | undefined }): PageInput {
  const { first, after } = parseInput(pageArgs, withoutNulls({ first: args.first, after: args.after }), 'arguments');
  return { limit: first, cursor: after };
}

/** A kind's delivery log page type: its attempts with the batch id named `idName`. */
export function deliveryPageType(name: string, idName: string, idDescription: string) {
  const Delivery = builder.objectRef<SinkDeliveryEntry>(`${name}Delivery`).implement({
    description: 'One attempt at a batch.',
    fields: (t) => ({
      at: t.expose('at', { type: 'DateTime' }),
      [idName]: t.exposeString('batchId', { description: idDescription }),
      batchSize: t.exposeInt('batchSize'),
      status: t.exposeInt('status', { nullable: true, description: "the target's HTTP status; null without an HTTP answer" }),
      latencyMs: t.exposeInt('latencyMs'),
      error: t.exposeString('error', { nullable: true, description: 'null: delivered' }),
      responseExcerpt: t.exposeString('responseExcerpt', { nullable: true, description: "the first 2 KB of the target's answer" }),
    }),
  });
  return builder.objectRef<SinkDeliveryPage>(`${name}DeliveryPage`).implement({
    description: 'The last 1,000 attempts at most, newest first.',
    fields: (t) => ({
      nodes: t.field({ type: [Delivery], resolve: (page) => page.data }),
      nextCursor: t.exposeString('nextCursor', { nullable: true, description: 'pass it as `after` for the next (older) page; null on the last' }),
    }),
  });
}

/** A kind's dead letter page type, the batch id named `idName`. */
export function deadLetterPageType(name: string, idName: string, idDescription: string) {
  const DeadLetter = builder.objectRef<SinkDeadLetter>(`${name}DeadLetter`).implement({
    description: 'A record whose batch ran out of attempts or of its retry window.',
    fields: (t) => ({
      syncId: t.exposeString('syncId'),
      collectionId: t.exposeString('collectionId'),
      upstreamId: t.exposeString('upstreamId'),
      updatedIdx: t.exposeString('updatedIdx', { description: 'the version that could not be delivered' }),
      [idName]: t.exposeString('batchId', { description: idDescription }),
      attempts: t.exposeInt('attempts'),
      lastError: t.exposeString('lastError'),
      firstAttemptAt: t.expose('firstAttemptAt', { type: 'DateTime' }),
      lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime' }),
      deadAt: t.expose('deadAt', { type: 'DateTime' }),
      redeliveryPending: t.exposeBoolean('redeliveryPending', { description: 'asked to be delivered again, not yet done' }),
    }),
  });
  return builder.objectRef<SinkDeadLetterPage>(`${name}DeadLetterPage`).implement({
    description: 'Dead letters, newest first.',
    fields: (t) => ({
      nodes: t.field({ type: [DeadLetter], resolve: (page) => page.data }),
      nextCursor: t.exposeString('nextCursor', { nullable: true, description: 'pass it as `after` for the next (older) page; null on the last' }),
    }),
  });
}
