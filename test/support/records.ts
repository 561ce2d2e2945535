import type { RestClient } from './api.ts';

export interface RecordBody {
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  updated_idx: number;
  deleted: boolean;
  data: Record<string, unknown>;
  upstream_created_at: string | null;
  upstream_updated_at: string | null;
}

/** Every record of a sync through the REST API, following next_cursor. */
export async function allRecords(api: RestClient, syncId: string, collectionId?: string): Promise<RecordBody[]> {
  const records: RecordBody[] = [];
  let cursor: string | null = '0';
  while (cursor !== null) {
    const query: string = `after_idx=${cursor}&limit=1000${collectionId ? `&collection_id=${collectionId}` : ''}`;
    const answer: { status: number; body: any } = await api.get(`/v1/syncs/${syncId}/records?${query}`);
    if (answer.status !== 200) throw new Error(`records: ${answer.status} ${JSON.stringify(answer.body)}`);
    records.push(...answer.body.data);
    cursor = answer.body.next_cursor;
  }
  return records;
}
