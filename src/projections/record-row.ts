/** A row of the `records` read model as `pg` returns it (`updated_idx` as text: int8 exceeds a number). */
export interface RecordRow {
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  updated_idx: string;
  data: Record<string, unknown>;
  deleted: boolean;
  upstream_created_at: Date | null;
  upstream_updated_at: Date | null;
}
