import type { ProviderSession } from '../../src/sync/providers/provider.ts';

/** A whole backfill listing straight from a provider session: every upstream id, and the first page's total. */
export async function listAll(session: ProviderSession, collectionId: string): Promise<{ ids: string[]; total: number | null }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let total: number | null = null;
  do {
    const page = await session.listPage(collectionId, cursor);
    total ??= page.totalCount;
    ids.push(...page.objects.map((o) => o.upstreamId));
    cursor = page.nextCursor;
  } while (cursor);
  return { ids, total };
}
