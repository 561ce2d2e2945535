import type { CollectionSpec } from '../provider.ts';

export interface HubSpotCollection extends CollectionSpec {
  /** The `{objectType}` of `/crm/v3/objects/{objectType}`. */
  objectType: 'contacts' | 'companies' | 'deals';
  /** The last-modified date property the incremental search filters and sorts on. */
  modifiedProperty: 'lastmodifieddate' | 'hs_lastmodifieddate';
  /**
   * The properties every request asks for (docs/providers/hubspot.md): HubSpot returns only the
   * properties named, so records carry exactly these (null when unset) whether they came from
   * the listing, the search or a write.
   */
  properties: readonly string[];
}

const contact: HubSpotCollection = {
  id: 'hubspot:contact',
  name: 'Contacts',
  mutations: ['create', 'update', 'delete'],
  objectType: 'contacts',
  modifiedProperty: 'lastmodifieddate',
  properties: [
    'email', 'firstname', 'lastname', 'phone', 'company', 'website', 'jobtitle', 'lifecyclestage', 'hs_lead_status',
    'address', 'city', 'state', 'zip', 'country', 'hubspot_owner_id', 'createdate', 'lastmodifieddate', 'hs_object_id',
  ],
};

const company: HubSpotCollection = {
  id: 'hubspot:company',
  name: 'Companies',
  mutations: ['create', 'update', 'delete'],
  objectType: 'companies',
  modifiedProperty: 'hs_lastmodifieddate',
  properties: [
    'name', 'domain', 'industry', 'phone', 'address', 'city', 'state', 'zip', 'country', 'numberofemployees', 'annualrevenue',
    'lifecyclestage', 'type', 'description', 'hubspot_owner_id', 'createdate', 'hs_lastmodifieddate', 'hs_object_id',
  ],
};

const deal: HubSpotCollection = {
  id: 'hubspot:deal',
  name: 'Deals',
  mutations: ['create', 'update', 'delete'],
  objectType: 'deals',
  modifiedProperty: 'hs_lastmodifieddate',
  properties: [
    'dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'dealtype', 'hs_priority', 'description', 'hubspot_owner_id',
    'createdate', 'hs_lastmodifieddate', 'hs_object_id',
  ],
};

export const hubspotCollections: readonly HubSpotCollection[] = [contact, company, deal];

const byId = new Map(hubspotCollections.map((c) => [c.id, c]));

export function hubspotCollection(id: string): HubSpotCollection {
  const collection = byId.get(id);
  if (!collection) throw new Error(`unknown HubSpot collection ${id}`);
  return collection;
}
