import { z } from 'zod';
import { BadRequestError } from '../errors.ts';

export const pageInput = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(500).optional(),
  })
  .passthrough();

export type PageInput = { limit: number; cursor?: string | undefined };

type Position = { createdAt: Date; id: string };

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new BadRequestError('invalid_cursor', 'cursor is not one this API returned');
  }
}

/** Prisma `where` / `orderBy` / `take` for keyset pagination over (created_at, id). */
export function keysetArgs(page: PageInput) {
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  return {
    where: after ? { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] } : {},
    orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }],
    take: page.limit + 1,
  };
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export function toPage<R extends Position, T>(rows: R[], page: PageInput, present: (row: R) => T): Page<T> {
  const hasMore = rows.length > page.limit;
  const kept = hasMore ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return { data: kept.map(present), next_cursor: hasMore && last ? encodeCursor(last) : null };
}
