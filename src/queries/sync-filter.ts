import { z } from 'zod';
import { assertStorable, zodDetails } from '../commands/parse-input.ts';
import { externalId } from '../commands/sync-external-id.ts';
import { AppError, BadRequestError } from '../errors.ts';
import type { Prisma } from '../generated/prisma/client.ts';

/**
 * What a sync listing is narrowed to (REST `GET /v1/syncs?external_id=&provider=&metadata.<key>=`,
 * GraphQL `syncs(externalId, provider, metadata)`): every filter given must hold (AND).
 */
export const MAX_METADATA_FILTERS = 50;

const metadataFilter = z
  .object({
    key: z.string().min(1).max(255),
    value: z.string().max(8192),
  })
  .strict();

export const syncFilterInput = z
  .object({
    externalId: externalId.optional(),
    provider: z.string().min(1).max(50).optional(),
    metadata: z
      .array(metadataFilter)
      .max(MAX_METADATA_FILTERS)
      .superRefine((filters, check) => {
        const seen = new Set<string>();
        filters.forEach(({ key }, i) => {
          if (seen.has(key)) check.addIssue({ code: 'custom', path: [i, 'key'], message: `metadata key "${key}" is filtered twice` });
          seen.add(key);
        });
      })
      .optional(),
  })
  .strict();

export type SyncFilter = z.infer<typeof syncFilterInput>;
export type SyncFilterInput = z.input<typeof syncFilterInput>;

/** 400 `invalid_filter` for a filter that names nothing a sync can have; `restPath` gives the error paths the caller's names. */
export function parseSyncFilter(input: unknown, restPath: (path: string) => string = (path) => path): SyncFilter {
  try {
    assertStorable(input, 'filter');
  } catch (error) {
    if (error instanceof AppError) throw new BadRequestError('invalid_filter', 'invalid filter', error.details.map((detail) => ({ ...detail, path: restPath(detail.path) })));
    throw error;
  }
  const result = syncFilterInput.safeParse(input);
  if (!result.success) {
    throw new BadRequestError('invalid_filter', 'invalid filter', zodDetails(result.error).map((detail) => ({ ...detail, path: restPath(detail.path) })));
  }
  return result.data;
}

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/**
 * What a metadata value given as text matches: that string, and the number or boolean written
 * so (`tier=2` finds `{"tier": 2}` as well as `{"tier": "2"}`), as a query string cannot say which.
 */
function matchingValues(value: string): (string | number | boolean)[] {
  if (value === 'true' || value === 'false') return [value, value === 'true'];
  if (JSON_NUMBER.test(value) && Number.isFinite(Number(value))) return [value, Number(value)];
  return [value];
}

/** The Prisma `where` of a filter (to be combined with the listing's scope and position). */
export function syncFilterWhere(filter: SyncFilter): Prisma.SyncWhereInput {
  const metadata = filter.metadata ?? [];
  return {
    ...(filter.externalId !== undefined ? { externalId: filter.externalId } : {}),
    ...(filter.provider !== undefined ? { provider: filter.provider } : {}),
    ...(metadata.length > 0
      ? { AND: metadata.map(({ key, value }) => ({ OR: matchingValues(value).map((v) => ({ metadata: { path: [key], equals: v } })) })) }
      : {}),
  };
}
