import type { CollectionSpec } from '../provider.ts';

export interface ZendeskCollection extends CollectionSpec {
  /** The export's list key and path segment, e.g. `tickets`. */
  plural: string;
  /** The single-object envelope, e.g. `ticket`. */
  singular: string;
  /** Cursor-based export (`incremental/<plural>/cursor.json`) or time-based (`incremental/<plural>.json`). */
  exportKind: 'cursor' | 'time';
  /** true when the exported object is a delete (tickets: status `deleted`; users: `active: false`). */
  isDeleted(object: Record<string, unknown>): boolean;
}

export const zendeskCollections: ZendeskCollection[] = [
  { id: 'zendesk:ticket', name: 'Tickets', mutations: ['create', 'update', 'delete'], plural: 'tickets', singular: 'ticket', exportKind: 'cursor', isDeleted: (o) => o.status === 'deleted' },
  // Zendesk: a user's `active` is false once the user is deleted.
  { id: 'zendesk:user', name: 'Users', mutations: [], plural: 'users', singular: 'user', exportKind: 'cursor', isDeleted: (o) => o.active === false },
  // The organization export is time-based only and does not report deletes.
  { id: 'zendesk:organization', name: 'Organizations', mutations: [], plural: 'organizations', singular: 'organization', exportKind: 'time', isDeleted: () => false },
];

const byId = new Map(zendeskCollections.map((c) => [c.id, c]));

export function zendeskCollection(id: string): ZendeskCollection {
  const collection = byId.get(id);
  if (!collection) throw new Error(`unknown Zendesk collection ${id}`);
  return collection;
}
