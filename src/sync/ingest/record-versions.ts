import * as crypto from 'node:crypto';
import { dataTexts } from '../../domain/records/canonical-json.ts';
import type { RecordsChanged, RecordVersion } from '../../domain/records/events.ts';
import type { UpstreamObject } from '../providers/provider.ts';

/** Upstream objects of one collection of a sync, to append as one `RecordsChanged` event. */
export interface RecordBatch {
  syncId: string;
  streamId: string;
  collectionId: string;
  source: RecordsChanged['data']['source'];
  objects: readonly UpstreamObject[];
}

/** A version and the JSON text of its data sent to PostgreSQL (DataTexts.jsonb). */
export interface PreparedVersion {
  version: RecordVersion;
  json: string;
}

/** One-shot `crypto.hash` (Node ≥ 20.12) spares a Hash object per record; createHash before it. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');

export function prepareVersion(object: UpstreamObject): PreparedVersion {
  // The hash is of the keys sorted: the same object listed, sent in an event or answered to a
  // write hashes the same. jsonb keeps no key order, so either text stores the value sent.
  const { canonical, jsonb } = dataTexts(object.data);
  const version: RecordVersion = {
    upstreamId: object.upstreamId,
    data: object.data,
    dataHash: sha256Hex(canonical),
    upstreamCreatedAt: object.upstreamCreatedAt?.toISOString() ?? null,
    upstreamUpdatedAt: object.upstreamUpdatedAt?.toISOString() ?? null,
    deleted: object.deleted,
  };
  return { version, json: jsonb };
}

// The event texts below list their keys in jsonb's order (shorter first), as DataTexts.jsonb
// does: PostgreSQL then parses them without sorting each object's keys.

/** A version as JSON text, around the text of its data already made. */
export function versionJson(v: RecordVersion, dataJson: string | undefined): string {
  return (
    `{"data":${dataJson ?? JSON.stringify(v.data)},"deleted":${v.deleted},"dataHash":${JSON.stringify(v.dataHash)},"upstreamId":${JSON.stringify(v.upstreamId)},` +
    `"upstreamCreatedAt":${JSON.stringify(v.upstreamCreatedAt)},"upstreamUpdatedAt":${JSON.stringify(v.upstreamUpdatedAt)}}`
  );
}

/** The event's data as JSON text, built around the data texts already made. */
export function eventJson(data: Omit<RecordsChanged['data'], 'records'>, changed: readonly RecordVersion[], jsonOf: Map<RecordVersion, string>) {
  return eventDataJson(data, changed.map((v) => versionJson(v, jsonOf.get(v))));
}

export function eventDataJson(data: Omit<RecordsChanged['data'], 'records'>, records: readonly string[]): string {
  return `{"source":${JSON.stringify(data.source)},"syncId":${JSON.stringify(data.syncId)},"records":[${records.join(',')}],"streamId":${JSON.stringify(data.streamId)},"collectionId":${JSON.stringify(data.collectionId)}}`;
}
