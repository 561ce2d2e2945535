import { appendRecords } from '../../src/sync/ingest/append-records.ts';
import type { AppContext } from '../../src/app-context.ts';

/** Writes record versions straight through the record writer (what a sync does), without a provider. */
export async function seedRecords(
  ctx: AppContext,
  target: { syncId: string; streamId: string; collectionId: string },
  items: { id: string; data?: Record<string, unknown>; deleted?: boolean }[],
): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    await appendRecords(ctx, {
      ...target,
      source: 'changes',
      objects: items.slice(i, i + 500).map((item) => ({
        upstreamId: item.id,
        data: item.data ?? { id: item.id },
        upstreamCreatedAt: new Date('2024-11-10T18:38:00.070Z'),
        upstreamUpdatedAt: new Date(),
        deleted: item.deleted ?? false,
      })),
    });
  }
}
