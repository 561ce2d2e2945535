/** The emulated sObjects: their fields as `describe` lists them, and which ones a write may set. */

export type FieldType = 'id' | 'reference' | 'string' | 'textarea' | 'email' | 'phone' | 'url' | 'picklist' | 'boolean' | 'double' | 'currency' | 'percent' | 'int' | 'date' | 'datetime';

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** Set by writes (create and update); system and formula fields are not. */
  writable: boolean;
  /** Required on create. */
  required?: boolean;
  referenceTo?: string;
  picklist?: string[];
}

export interface SObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  fields: FieldDef[];
}

const w = (name: string, label: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({ name, label, type, writable: true, ...extra });
const ro = (name: string, label: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({ name, label, type, writable: false, ...extra });

const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
export const OPPORTUNITY_STAGES: ReadonlyArray<{ name: string; probability: number; closed: boolean; won: boolean; forecast: string }> = [
  { name: 'Prospecting', probability: 10, closed: false, won: false, forecast: 'Pipeline' },
  { name: 'Qualification', probability: 10, closed: false, won: false, forecast: 'Pipeline' },
  { name: 'Needs Analysis', probability: 20, closed: false, won: false, forecast: 'Pipeline' },
  { name: 'Proposal/Price Quote', probability: 75, closed: false, won: false, forecast: 'Pipeline' },
  { name: 'Negotiation/Review', probability: 90, closed: false, won: false, forecast: 'Pipeline' },
  { name: 'Closed Won', probability: 100, closed: true, won: true, forecast: 'Closed' },
  { name: 'Closed Lost', probability: 0, closed: true, won: false, forecast: 'Omitted' },
];

/** Fields every object has, before and after its own. */
const head = [ro('Id', 'Record ID', 'id'), ro('IsDeleted', 'Deleted', 'boolean')];
const audit = [
  w('OwnerId', 'Owner ID', 'reference', { referenceTo: 'User' }),
  ro('CreatedDate', 'Created Date', 'datetime'),
  ro('CreatedById', 'Created By ID', 'reference', { referenceTo: 'User' }),
  ro('LastModifiedDate', 'Last Modified Date', 'datetime'),
  ro('LastModifiedById', 'Last Modified By ID', 'reference', { referenceTo: 'User' }),
  ro('SystemModstamp', 'System Modstamp', 'datetime'),
];

export const SOBJECTS: readonly SObjectDef[] = [
  {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    fields: [
      ...head,
      w('Name', 'Account Name', 'string', { required: true }),
      w('Type', 'Account Type', 'picklist', { picklist: ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other'] }),
      w('Industry', 'Industry', 'picklist', { picklist: ['Technology', 'Finance', 'Healthcare', 'Retail', 'Manufacturing', 'Education'] }),
      w('Website', 'Website', 'url'),
      w('Phone', 'Account Phone', 'phone'),
      w('BillingStreet', 'Billing Street', 'textarea'),
      w('BillingCity', 'Billing City', 'string'),
      w('BillingState', 'Billing State/Province', 'string'),
      w('BillingPostalCode', 'Billing Zip/Postal Code', 'string'),
      w('BillingCountry', 'Billing Country', 'string'),
      w('AnnualRevenue', 'Annual Revenue', 'currency'),
      w('NumberOfEmployees', 'Employees', 'int'),
      w('Description', 'Account Description', 'textarea'),
      ...audit,
    ],
  },
  {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    fields: [
      ...head,
      w('AccountId', 'Account ID', 'reference', { referenceTo: 'Account' }),
      w('LastName', 'Last Name', 'string', { required: true }),
      w('FirstName', 'First Name', 'string'),
      w('Salutation', 'Salutation', 'picklist', { picklist: ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.'] }),
      ro('Name', 'Full Name', 'string'),
      w('Title', 'Title', 'string'),
      w('Email', 'Email', 'email'),
      w('Phone', 'Business Phone', 'phone'),
      w('MobilePhone', 'Mobile Phone', 'phone'),
      w('MailingStreet', 'Mailing Street', 'textarea'),
      w('MailingCity', 'Mailing City', 'string'),
      w('MailingState', 'Mailing State/Province', 'string'),
      w('MailingPostalCode', 'Mailing Zip/Postal Code', 'string'),
      w('MailingCountry', 'Mailing Country', 'string'),
      w('LeadSource', 'Lead Source', 'picklist', { picklist: LEAD_SOURCES }),
      w('Description', 'Contact Description', 'textarea'),
      ...audit,
    ],
  },
  {
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: '006',
    fields: [
      ...head,
      w('AccountId', 'Account ID', 'reference', { referenceTo: 'Account' }),
      w('Name', 'Name', 'string', { required: true }),
      w('StageName', 'Stage', 'picklist', { required: true, picklist: OPPORTUNITY_STAGES.map((s) => s.name) }),
      w('Amount', 'Amount', 'currency'),
      w('Probability', 'Probability (%)', 'percent'),
      w('CloseDate', 'Close Date', 'date', { required: true }),
      w('Type', 'Opportunity Type', 'picklist', { picklist: ['Existing Customer - Upgrade', 'Existing Customer - Renewal', 'New Customer'] }),
      w('LeadSource', 'Lead Source', 'picklist', { picklist: LEAD_SOURCES }),
      ro('IsClosed', 'Closed', 'boolean'),
      ro('IsWon', 'Won', 'boolean'),
      ro('ForecastCategory', 'Forecast Category', 'picklist', { picklist: ['Omitted', 'Pipeline', 'BestCase', 'Forecast', 'Closed'] }),
      w('Description', 'Description', 'textarea'),
      ...audit,
    ],
  },
  {
    name: 'Lead',
    label: 'Lead',
    labelPlural: 'Leads',
    keyPrefix: '00Q',
    fields: [
      ...head,
      w('LastName', 'Last Name', 'string', { required: true }),
      w('FirstName', 'First Name', 'string'),
      ro('Name', 'Full Name', 'string'),
      w('Title', 'Title', 'string'),
      w('Company', 'Company', 'string', { required: true }),
      w('Email', 'Email', 'email'),
      w('Phone', 'Phone', 'phone'),
      w('City', 'City', 'string'),
      w('State', 'State/Province', 'string'),
      w('Country', 'Country', 'string'),
      w('Status', 'Status', 'picklist', { picklist: ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'] }),
      w('LeadSource', 'Lead Source', 'picklist', { picklist: LEAD_SOURCES }),
      w('Industry', 'Industry', 'picklist', { picklist: ['Technology', 'Finance', 'Healthcare', 'Retail', 'Manufacturing', 'Education'] }),
      w('Rating', 'Rating', 'picklist', { picklist: ['Hot', 'Warm', 'Cold'] }),
      ro('IsConverted', 'Converted', 'boolean'),
      ...audit,
    ],
  },
];

const byName = new Map(SOBJECTS.map((s) => [s.name.toLowerCase(), s]));

/** An sObject by API name (case-insensitive, as Salesforce matches them). */
export function sobjectDef(name: string): SObjectDef | undefined {
  return byName.get(name.toLowerCase());
}

export function fieldDef(sobject: SObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return sobject.fields.find((f) => f.name.toLowerCase() === lower);
}

/** The describe answer (the part of Salesforce's that clients use). */
export function describe(sobject: SObjectDef, apiPath: string): Record<string, unknown> {
  return {
    name: sobject.name,
    label: sobject.label,
    labelPlural: sobject.labelPlural,
    keyPrefix: sobject.keyPrefix,
    custom: false,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    fields: sobject.fields.map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      createable: f.writable,
      updateable: f.writable,
      nillable: !f.required && f.type !== 'boolean' && f.type !== 'id' && !['CreatedDate', 'LastModifiedDate', 'SystemModstamp', 'CreatedById', 'LastModifiedById'].includes(f.name),
      custom: false,
      referenceTo: f.referenceTo ? [f.referenceTo] : [],
      picklistValues: (f.picklist ?? []).map((value) => ({ active: true, defaultValue: false, label: value, value })),
    })),
    urls: { describe: `${apiPath}/sobjects/${sobject.name}/describe`, sobject: `${apiPath}/sobjects/${sobject.name}`, rowTemplate: `${apiPath}/sobjects/${sobject.name}/{ID}` },
  };
}
