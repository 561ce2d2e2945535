/** The CRM object types the HubSpot emulator serves and their property schemas. */

export type HubSpotCollection = 'contact' | 'company' | 'deal';

/** The path segment of `/crm/v3/objects/{objectType}`. */
export type HubSpotObjectType = 'contacts' | 'companies' | 'deals';

export const HUBSPOT_COLLECTIONS: readonly HubSpotCollection[] = ['contact', 'company', 'deal'];

export interface ObjectTypeSchema {
  collection: HubSpotCollection;
  objectType: HubSpotObjectType;
  /** Every property an object of this type can carry (values are strings or null). */
  properties: readonly string[];
  /** Returned when a request names no `properties`. */
  defaultProperties: readonly string[];
  /** The last-modified property: contacts keep `lastmodifieddate`, other objects `hs_lastmodifieddate`. */
  modifiedProperty: 'lastmodifieddate' | 'hs_lastmodifieddate';
  /** Set by HubSpot, refused in writes. */
  readOnly: readonly string[];
}

const contact: ObjectTypeSchema = {
  collection: 'contact',
  objectType: 'contacts',
  properties: [
    'email', 'firstname', 'lastname', 'phone', 'company', 'website', 'jobtitle', 'lifecyclestage', 'hs_lead_status',
    'address', 'city', 'state', 'zip', 'country', 'hubspot_owner_id', 'createdate', 'lastmodifieddate', 'hs_object_id',
    'hs_email_domain', 'hs_analytics_source', 'hs_analytics_num_page_views',
  ],
  defaultProperties: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  modifiedProperty: 'lastmodifieddate',
  readOnly: ['createdate', 'lastmodifieddate', 'hs_object_id', 'hs_email_domain', 'hs_analytics_num_page_views'],
};

const company: ObjectTypeSchema = {
  collection: 'company',
  objectType: 'companies',
  properties: [
    'name', 'domain', 'industry', 'phone', 'address', 'city', 'state', 'zip', 'country', 'numberofemployees', 'annualrevenue',
    'lifecyclestage', 'type', 'description', 'hubspot_owner_id', 'createdate', 'hs_lastmodifieddate', 'hs_object_id',
    'hs_analytics_source', 'num_associated_contacts',
  ],
  defaultProperties: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  modifiedProperty: 'hs_lastmodifieddate',
  readOnly: ['createdate', 'hs_lastmodifieddate', 'hs_object_id', 'num_associated_contacts'],
};

const deal: ObjectTypeSchema = {
  collection: 'deal',
  objectType: 'deals',
  properties: [
    'dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'dealtype', 'hs_priority', 'description', 'hubspot_owner_id',
    'createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_analytics_source', 'days_to_close',
  ],
  defaultProperties: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
  modifiedProperty: 'hs_lastmodifieddate',
  readOnly: ['createdate', 'hs_lastmodifieddate', 'hs_object_id', 'days_to_close'],
};

export const SCHEMAS: Readonly<Record<HubSpotCollection, ObjectTypeSchema>> = { contact, company, deal };

const byObjectType = new Map(Object.values(SCHEMAS).map((s) => [s.objectType as string, s]));

/** The schema of a `/crm/v3/objects/{objectType}` path segment (also the singular, as HubSpot accepts both). */
export function schemaOfObjectType(objectType: string): ObjectTypeSchema | undefined {
  return byObjectType.get(objectType) ?? (SCHEMAS as Record<string, ObjectTypeSchema>)[objectType];
}

/** Date-time properties (filters compare them as instants, given as epoch ms or ISO 8601). */
export const DATE_PROPERTIES: ReadonlySet<string> = new Set(['createdate', 'lastmodifieddate', 'hs_lastmodifieddate', 'closedate']);

/** Number properties (filters compare them numerically). */
export const NUMBER_PROPERTIES: ReadonlySet<string> = new Set(['hs_object_id', 'amount', 'numberofemployees', 'annualrevenue', 'hs_analytics_num_page_views', 'num_associated_contacts', 'days_to_close']);
