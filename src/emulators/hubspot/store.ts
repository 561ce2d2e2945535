/** The emulator's CRM objects: live and archived, with HubSpot's ids, dates and property projection. */

import type { PropertyValues } from './seed.ts';
import { HUBSPOT_COLLECTIONS, SCHEMAS, type HubSpotCollection, type ObjectTypeSchema } from './schema.ts';

export interface StoredObject {
  id: string;
  properties: PropertyValues;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt: string | null;
}

/** An object as the CRM v3 API returns it. */
export interface HubSpotObjectJson {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  [key: string]: unknown;
}

/** First id per type: HubSpot ids are numeric strings, growing with creation. */
const FIRST_IDS: Record<HubSpotCollection, number> = { contact: 101, company: 5_000_001, deal: 9_000_001 };

/**
 * The properties an answer carries: the type's defaults when none are named, else the named ones
 * the schema knows (unknown names are ignored) plus `hs_object_id` and the creation and
 * modification dates, which HubSpot always adds. Unset properties are null.
 */
export function selectProperties(schema: ObjectTypeSchema, requested: readonly string[] | null): string[] {
  if (requested === null || requested.length === 0) return [...schema.defaultProperties].sort();
  const known = new Set(schema.properties);
  const names = new Set(requested.filter((p) => known.has(p)));
  for (const always of ['createdate', 'hs_object_id', schema.modifiedProperty]) names.add(always);
  return [...names].sort();
}

export function renderObject(object: StoredObject, properties: readonly string[]): HubSpotObjectJson {
  const selected: Record<string, string | null> = {};
  for (const name of properties) selected[name] = object.properties[name] ?? null;
  return {
    id: object.id,
    properties: selected,
    createdAt: object.createdAt,
    updatedAt: object.updatedAt,
    archived: object.archived,
    ...(object.archived && object.archivedAt ? { archivedAt: object.archivedAt } : {}),
  };
}

/** One change the store made, as HubSpot's webhooks report it (a property change per property whose value changed). */
export type StoreChange =
  | { collection: HubSpotCollection; kind: 'creation' | 'deletion'; id: string; atMs: number }
  | { collection: HubSpotCollection; kind: 'propertyChange'; id: string; atMs: number; propertyName: string; propertyValue: string | null };

export class HubSpotStore {
  /** Told of every create, property change and archive (the emulator's webhooks); seeding happens before it is set. */
  onChange: ((change: StoreChange) => void) | null = null;

  private readonly byCollection: Record<HubSpotCollection, Map<string, StoredObject>> = { contact: new Map(), company: new Map(), deal: new Map() };
  private readonly nextIds: Record<HubSpotCollection, number> = { ...FIRST_IDS };
  private lastMs = 0;

  /**
   * The emulator's clock in ms: never goes back, so modification dates only grow, but two
   * changes in the same millisecond share it (as they can upstream).
   */
  nowMs(): number {
    this.lastMs = Math.max(this.lastMs, Date.now());
    return this.lastMs;
  }

  /** Creates an object; `times` backdates seeded objects. */
  create(collection: HubSpotCollection, properties: PropertyValues, times?: { createdMs: number; updatedMs: number }): StoredObject {
    const schema = SCHEMAS[collection];
    const id = String(this.nextIds[collection]);
    this.nextIds[collection] += 1;
    const createdMs = times?.createdMs ?? this.nowMs();
    const updatedMs = times?.updatedMs ?? createdMs;
    const created = new Date(createdMs).toISOString();
    const updated = new Date(updatedMs).toISOString();
    const object: StoredObject = {
      id,
      properties: { ...properties, hs_object_id: id, createdate: created, [schema.modifiedProperty]: updated },
      createdAt: created,
      updatedAt: updated,
      archived: false,
      archivedAt: null,
    };
    this.byCollection[collection].set(id, object);
    this.onChange?.({ collection, kind: 'creation', id, atMs: createdMs });
    return object;
  }

  /** Sets properties of a live object (null clears one); undefined when there is none with that id. */
  update(collection: HubSpotCollection, id: string, properties: PropertyValues): StoredObject | undefined {
    const object = this.get(collection, id, false);
    if (!object) return undefined;
    const atMs = this.nowMs();
    const updated = new Date(atMs).toISOString();
    const changed = Object.entries(properties).filter(([name, value]) => (object.properties[name] ?? null) !== value);
    object.properties = { ...object.properties, ...properties, [SCHEMAS[collection].modifiedProperty]: updated };
    object.updatedAt = updated;
    for (const [propertyName, propertyValue] of changed) this.onChange?.({ collection, kind: 'propertyChange', id, atMs, propertyName, propertyValue });
    return object;
  }

  /** Archives a live object (HubSpot's DELETE); undefined when there is none with that id. */
  archive(collection: HubSpotCollection, id: string): StoredObject | undefined {
    const object = this.get(collection, id, false);
    if (!object) return undefined;
    const atMs = this.nowMs();
    const at = new Date(atMs).toISOString();
    object.archived = true;
    object.archivedAt = at;
    object.updatedAt = at;
    this.onChange?.({ collection, kind: 'deletion', id, atMs });
    return object;
  }

  get(collection: HubSpotCollection, id: string, archived: boolean): StoredObject | undefined {
    const object = this.byCollection[collection].get(id);
    return object && object.archived === archived ? object : undefined;
  }

  /** Live or archived objects in id order (creation order). */
  list(collection: HubSpotCollection, archived: boolean): StoredObject[] {
    return [...this.byCollection[collection].values()].filter((o) => o.archived === archived);
  }

  /** The live object with this property value, if any (contacts' unique `email`). */
  findLive(collection: HubSpotCollection, property: string, value: string): StoredObject | undefined {
    const wanted = value.toLowerCase();
    return this.list(collection, false).find((o) => o.properties[property]?.toLowerCase() === wanted);
  }

  counts(): Record<HubSpotCollection, number> {
    return Object.fromEntries(HUBSPOT_COLLECTIONS.map((c) => [c, this.list(c, false).length])) as Record<HubSpotCollection, number>;
  }
}
