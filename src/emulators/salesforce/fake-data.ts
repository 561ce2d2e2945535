import { fakePerson, type Random } from '../kit/random.ts';
import { OPPORTUNITY_STAGES } from './schema.ts';

const COMPANY_WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Cyberdyne', 'Soylent', 'Tyrell', 'Hooli', 'Vandelay', 'Wonka'];
const COMPANY_SUFFIXES = ['Corp', 'Inc.', 'Industries', 'Labs', 'Group', 'Systems'];
const TITLES = ['CEO', 'CTO', 'VP Sales', 'Head of Operations', 'Procurement Manager', 'Engineer', 'Buyer'];
const INDUSTRIES = ['Technology', 'Finance', 'Healthcare', 'Retail', 'Manufacturing', 'Education'];
const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];

export const company = (random: Random): string => `${random.pick(COMPANY_WORDS)} ${random.pick(COMPANY_SUFFIXES)}`;

function names(random: Random): { FirstName: string; LastName: string; Email: string; Phone: string; city: string; state: string; postal: string; country: string; street: string } {
  const person = fakePerson(random);
  const [first, ...rest] = person.name.split(' ');
  return {
    FirstName: first as string,
    LastName: rest.join(' '),
    Email: person.email,
    Phone: person.phone,
    city: person.address.city,
    state: person.address.state,
    postal: person.address.postal_code,
    country: person.address.country === 'US' ? 'USA' : person.address.country,
    street: person.address.line1,
  };
}

const closeDate = (random: Random): string => new Date(Date.UTC(2025, random.int(0, 23), random.int(1, 28))).toISOString().slice(0, 10);

/** A plausible create body for an sObject (`accountIds` for the references). */
export function fakeCreate(sobject: string, random: Random, accountIds: readonly string[]): Record<string, unknown> {
  const account = accountIds.length > 0 && random.chance(0.8) ? random.pick(accountIds) : null;
  switch (sobject) {
    case 'Account': {
      const p = names(random);
      const name = company(random);
      return {
        Name: name,
        Type: random.pick(['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner']),
        Industry: random.pick(INDUSTRIES),
        Website: `https://www.${name.split(' ')[0]!.toLowerCase()}.example.com`,
        Phone: p.Phone,
        BillingStreet: p.street,
        BillingCity: p.city,
        BillingState: p.state,
        BillingPostalCode: p.postal,
        BillingCountry: p.country,
        AnnualRevenue: random.int(1, 500) * 100_000,
        NumberOfEmployees: random.int(5, 20_000),
        Description: null,
      };
    }
    case 'Contact': {
      const p = names(random);
      return {
        AccountId: account,
        FirstName: p.FirstName,
        LastName: p.LastName,
        Salutation: random.pick(['Mr.', 'Ms.', 'Dr.']),
        Title: random.pick(TITLES),
        Email: p.Email,
        Phone: p.Phone,
        MobilePhone: random.chance(0.5) ? p.Phone.replace('555', '556') : null,
        MailingStreet: p.street,
        MailingCity: p.city,
        MailingState: p.state,
        MailingPostalCode: p.postal,
        MailingCountry: p.country,
        LeadSource: random.pick(LEAD_SOURCES),
        Description: null,
      };
    }
    case 'Opportunity': {
      const stage = random.pick(OPPORTUNITY_STAGES);
      return {
        AccountId: account,
        Name: `${company(random)} - ${random.pick(['Renewal', 'Expansion', 'New Business', 'Pilot'])}`,
        StageName: stage.name,
        Amount: random.int(5, 900) * 1000,
        Probability: stage.probability,
        CloseDate: closeDate(random),
        Type: random.pick(['Existing Customer - Upgrade', 'Existing Customer - Renewal', 'New Customer']),
        LeadSource: random.pick(LEAD_SOURCES),
        Description: null,
      };
    }
    case 'Lead': {
      const p = names(random);
      return {
        FirstName: p.FirstName,
        LastName: p.LastName,
        Title: random.pick(TITLES),
        Company: company(random),
        Email: p.Email,
        Phone: p.Phone,
        City: p.city,
        State: p.state,
        Country: p.country,
        Status: random.pick(['Open - Not Contacted', 'Working - Contacted', 'Closed - Not Converted']),
        LeadSource: random.pick(LEAD_SOURCES),
        Industry: random.pick(INDUSTRIES),
        Rating: random.pick(['Hot', 'Warm', 'Cold']),
      };
    }
  }
  throw new Error(`no fake data for ${sobject}`);
}

/** A plausible update body (one or two fields a person would change). */
export function fakeUpdate(sobject: string, random: Random): Record<string, unknown> {
  switch (sobject) {
    case 'Account':
      return random.chance(0.5) ? { NumberOfEmployees: random.int(5, 20_000) } : { Type: random.pick(['Prospect', 'Customer - Direct', 'Partner']), Description: `Reviewed ${random.string(6)}` };
    case 'Contact':
      return random.chance(0.5) ? { Title: random.pick(TITLES) } : { Phone: names(random).Phone, Description: `Called ${random.string(6)}` };
    case 'Opportunity': {
      const stage = random.pick(OPPORTUNITY_STAGES);
      return random.chance(0.6) ? { StageName: stage.name, Probability: stage.probability } : { Amount: random.int(5, 900) * 1000 };
    }
    case 'Lead':
      return random.chance(0.5) ? { Status: random.pick(['Working - Contacted', 'Closed - Not Converted']) } : { Rating: random.pick(['Hot', 'Warm', 'Cold']) };
  }
  throw new Error(`no fake data for ${sobject}`);
}
