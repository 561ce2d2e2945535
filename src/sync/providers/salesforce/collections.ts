import type { CollectionSpec } from '../provider.ts';

export interface SalesforceCollection extends CollectionSpec {
  /** The sObject's API name, e.g. `Contact`. */
  sobject: string;
}

const MUTATIONS: CollectionSpec['mutations'] = ['create', 'update', 'delete'];

export const salesforceCollections: SalesforceCollection[] = [
  { id: 'salesforce:contact', name: 'Contacts', sobject: 'Contact', mutations: MUTATIONS },
  { id: 'salesforce:account', name: 'Accounts', sobject: 'Account', mutations: MUTATIONS },
  { id: 'salesforce:opportunity', name: 'Opportunities', sobject: 'Opportunity', mutations: MUTATIONS },
  { id: 'salesforce:lead', name: 'Leads', sobject: 'Lead', mutations: MUTATIONS },
];

const byId = new Map(salesforceCollections.map((c) => [c.id, c]));

export function salesforceCollection(id: string): SalesforceCollection {
  const collection = byId.get(id);
  if (!collection) throw new Error(`unknown Salesforce collection ${id}`);
  return collection;
}
