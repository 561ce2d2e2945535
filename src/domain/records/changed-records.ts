import type { RecordVersion } from './events.ts';

export type StoredVersion = { dataHash: string; deleted: boolean };

/**
 * The versions of a batch that are real changes against what is stored: the last version of
 * each upstream id in the batch, unless byte-identical to the stored one (same hash and
 * deleted flag). A delete of a record never stored is dropped: no reader ever saw it.
 * Backfill pages apply the same rule in SQL (the `compared` step of
 * prisma/functions/syncline_write_backfill_page.sql): a change here changes it there, and
 * test/records/changed-records-rule.int.spec.ts holds the two to the same answers.
 */
export function changedRecords(batch: readonly RecordVersion[], stored: ReadonlyMap<string, StoredVersion>): RecordVersion[] {
  const latest = new Map<string, RecordVersion>();
  for (const version of batch) {
    latest.delete(version.upstreamId); // re-insert so the order is that of each id's last change
    latest.set(version.upstreamId, version);
  }
  const changes: RecordVersion[] = [];
  for (const version of latest.values()) {
    const current = stored.get(version.upstreamId);
    if (!current && version.deleted) continue;
    if (current && current.dataHash === version.dataHash && current.deleted === version.deleted) continue;
    changes.push(version);
  }
  return changes;
}
