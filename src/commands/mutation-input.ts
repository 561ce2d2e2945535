import { createHash } from 'node:crypto';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import { z } from 'zod';
import type { MutationKind } from '../domain/mutations/events.ts';

export const MAX_MUTATION_ITEMS = 100;

/** An object in the provider's own shape, as records show it. */
const providerObject = z.record(z.string(), z.unknown());
const upstreamId = z.string().min(1).max(255);

/**
 * A mutation run (`POST /v1/mutations/run`, `runMutation`). Items come as `data` (the seed shape),
 * or as `records:[{upstreamId?, data}]`, or, for deletes, as `upstreamIds`.
 */
export const runMutationInput = z
  .object({
    kind: z.enum(['create', 'update', 'delete']),
    syncId: z.string().min(1).max(100),
    collectionId: z.string().min(1).max(100),
    data: z.array(providerObject).min(1).max(MAX_MUTATION_ITEMS).optional(),
    records: z
      .array(z.object({ upstreamId: upstreamId.nullish(), data: providerObject.default({}) }).strict())
      .min(1)
      .max(MAX_MUTATION_ITEMS)
      .optional(),
    upstreamIds: z.array(upstreamId).min(1).max(MAX_MUTATION_ITEMS).optional(),
    idempotencyKey: z.string().min(1).max(255).nullish(),
    /** Consumers to wait for (HTTP, NATS, webhook, PostgreSQL): the answer comes once they acked or delivered the resulting versions. */
    awaitConsumerIds: z.array(z.string().min(1).max(100)).min(1).max(20).optional(),
    /** ms; how long to wait for them at most. */
    awaitConsumersTimeout: z.number().int().min(0).max(60_000).default(5_000),
  })
  .strict()
  .superRefine((input, ctx) => {
    const given = (['data', 'records', 'upstreamIds'] as const).filter((field) => input[field] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', path: ['data'], message: 'give the items as exactly one of data, records or upstream_ids' });
    if (input.upstreamIds && input.kind !== 'delete') ctx.addIssue({ code: 'custom', path: ['upstreamIds'], message: 'upstream_ids is for deletes only' });
  });

export type RunMutationInput = z.infer<typeof runMutationInput>;

/** One item as it will be sent upstream. */
export interface PlannedItem {
  index: number;
  /** The object's id upstream; null for creates (and for update/delete items that lack it). */
  upstreamId: string | null;
  /** What is sent: the item without its id for updates, nothing for deletes. */
  params: Record<string, unknown>;
  /** Where the id was expected, for error details (`data[3].id`, `records[1].upstreamId`). */
  idPath: string;
}

const idOf = (object: Record<string, unknown>): string | null => (typeof object.id === 'string' && object.id.length > 0 ? object.id : null);

function withoutId(object: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, ...rest } = object;
  return rest;
}

function planItem(kind: MutationKind, index: number, id: string | null, object: Record<string, unknown>, idPath: string): PlannedItem {
  switch (kind) {
    case 'create':
      // A create may name its own id (Stripe products do): it is a parameter like any other.
      return { index, upstreamId: null, params: object, idPath };
    case 'update':
      return { index, upstreamId: id, params: withoutId(object), idPath };
    case 'delete':
      return { index, upstreamId: id, params: {}, idPath };
  }
}

/** The request's items in order, whichever of the accepted shapes carried them. */
export function planItems(input: RunMutationInput): PlannedItem[] {
  if (input.upstreamIds) return input.upstreamIds.map((id, i) => planItem(input.kind, i, id, {}, `upstreamIds[${i}]`));
  if (input.records) {
    return input.records.map((r, i) => planItem(input.kind, i, r.upstreamId ?? idOf(r.data), r.data, `records[${i}].upstreamId`));
  }
  return (input.data ?? []).map((object, i) => planItem(input.kind, i, idOf(object), object, `data[${i}].id`));
}

/** sha-256 of what the request asks for: the same items in another accepted shape hash the same. */
export function mutationRequestHash(kind: MutationKind, collectionId: string, items: readonly PlannedItem[]): string {
  const canonical = canonicalJson({ kind, collection_id: collectionId, items: items.map((i) => ({ upstream_id: i.upstreamId, params: i.params })) }) ?? '';
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * A run's id. With an idempotency key it is derived from (account, sync, key), so a retry lands on
 * the same event stream (`mutation-<id>`) and no lookup can race; shaped as a uuid (version 8).
 */
export function mutationRunId(accountId: string, syncId: string, idempotencyKey: string): string {
  const hex = createHash('sha256').update(`mutation\u0000${accountId}\u0000${syncId}\u0000${idempotencyKey}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The `Idempotency-Key` of one item upstream: unique per run and item, the same on every retry. */
export const upstreamIdempotencyKey = (runId: string, index: number): string => `${runId}:${index}`;
