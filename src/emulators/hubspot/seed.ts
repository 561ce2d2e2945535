/** Plausible property values for seeded and randomly created HubSpot objects. */

import { fakePerson, type Random } from '../kit/random.ts';
import type { HubSpotCollection } from './schema.ts';

export type PropertyValues = Record<string, string | null>;

const LIFECYCLE_STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist'];
const LEAD_STATUSES = ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED'];
const JOB_TITLES = ['CEO', 'CTO', 'Head of Sales', 'Marketing Manager', 'Software Engineer', 'Account Executive', 'Operations Lead'];
const SOURCES = ['ORGANIC_SEARCH', 'PAID_SEARCH', 'EMAIL_MARKETING', 'SOCIAL_MEDIA', 'REFERRALS', 'DIRECT_TRAFFIC', 'OFFLINE'];
const INDUSTRIES = ['COMPUTER_SOFTWARE', 'FINANCIAL_SERVICES', 'HOSPITAL_HEALTH_CARE', 'RETAIL', 'MARKETING_AND_ADVERTISING', 'HIGHER_EDUCATION'];
const COMPANY_TYPES = ['PROSPECT', 'PARTNER', 'RESELLER', 'VENDOR', 'OTHER'];
const COMPANY_WORDS = ['Analytical', 'Engine', 'Compiler', 'Lambda', 'Kernel', 'Vector', 'Quantum', 'Relay', 'Harbor', 'Summit'];
const COMPANY_SUFFIXES = ['Inc', 'LLC', 'Labs', 'Systems', 'Group', 'Works'];
const DEAL_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'];
const DEAL_TYPES = ['newbusiness', 'existingbusiness'];
const PRIORITIES = ['low', 'medium', 'high'];
const OWNER_IDS = ['31112344', '31112345', '31112346', '48211309'];

const maybe = (random: Random, value: string, probability = 0.85): string | null => (random.chance(probability) ? value : null);

function contactProperties(random: Random): PropertyValues {
  const person = fakePerson(random);
  const [firstname, ...rest] = person.name.split(' ');
  const domain = person.email.slice(person.email.indexOf('@') + 1);
  return {
    email: person.email,
    firstname: firstname ?? null,
    lastname: rest.join(' ') || null,
    phone: maybe(random, person.phone),
    company: maybe(random, `${random.pick(COMPANY_WORDS)} ${random.pick(COMPANY_SUFFIXES)}`),
    website: maybe(random, `https://www.${domain}`, 0.4),
    jobtitle: maybe(random, random.pick(JOB_TITLES)),
    lifecyclestage: random.pick(LIFECYCLE_STAGES),
    hs_lead_status: maybe(random, random.pick(LEAD_STATUSES), 0.6),
    address: maybe(random, person.address.line1),
    city: person.address.city,
    state: person.address.state,
    zip: person.address.postal_code,
    country: 'United States',
    hubspot_owner_id: maybe(random, random.pick(OWNER_IDS), 0.7),
    hs_email_domain: domain,
    hs_analytics_source: random.pick(SOURCES),
    hs_analytics_num_page_views: String(random.int(0, 250)),
  };
}

function companyProperties(random: Random): PropertyValues {
  const word = random.pick(COMPANY_WORDS);
  const suffix = random.pick(COMPANY_SUFFIXES);
  const tag = random.string(4, 'abcdefghijklmnopqrstuvwxyz');
  const person = fakePerson(random);
  return {
    name: `${word} ${suffix} ${tag.toUpperCase()}`,
    domain: `${word.toLowerCase()}-${tag}.com`,
    industry: random.pick(INDUSTRIES),
    phone: maybe(random, person.phone),
    address: maybe(random, person.address.line1),
    city: person.address.city,
    state: person.address.state,
    zip: person.address.postal_code,
    country: 'United States',
    numberofemployees: String(random.pick([5, 12, 40, 120, 500, 2500, 10000])),
    annualrevenue: maybe(random, String(random.int(1, 500) * 100_000), 0.6),
    lifecyclestage: random.pick(LIFECYCLE_STAGES),
    type: maybe(random, random.pick(COMPANY_TYPES), 0.7),
    description: maybe(random, `${word} ${suffix} builds ${random.pick(['tools', 'platforms', 'services', 'hardware'])} for ${random.pick(['teams', 'banks', 'hospitals', 'schools'])}.`, 0.5),
    hubspot_owner_id: maybe(random, random.pick(OWNER_IDS), 0.7),
    hs_analytics_source: random.pick(SOURCES),
    num_associated_contacts: String(random.int(0, 40)),
  };
}

function dealProperties(random: Random, nowMs: number): PropertyValues {
  const closeInDays = random.int(-120, 180);
  return {
    dealname: `${random.pick(COMPANY_WORDS)} ${random.pick(['renewal', 'expansion', 'pilot', 'platform deal', 'annual plan'])} ${random.int(1, 999)}`,
    amount: String(random.int(5, 2000) * 100),
    dealstage: random.pick(DEAL_STAGES),
    pipeline: 'default',
    closedate: new Date(nowMs + closeInDays * 86_400_000).toISOString(),
    dealtype: maybe(random, random.pick(DEAL_TYPES), 0.8),
    hs_priority: maybe(random, random.pick(PRIORITIES), 0.7),
    description: maybe(random, 'Opportunity sourced from an inbound request.', 0.3),
    hubspot_owner_id: maybe(random, random.pick(OWNER_IDS), 0.8),
    hs_analytics_source: random.pick(SOURCES),
    days_to_close: String(Math.abs(closeInDays)),
  };
}

/** Writable properties of a new object (HubSpot sets `hs_object_id` and the dates itself). */
export function fakeProperties(collection: HubSpotCollection, random: Random, nowMs: number): PropertyValues {
  switch (collection) {
    case 'contact':
      return contactProperties(random);
    case 'company':
      return companyProperties(random);
    case 'deal':
      return dealProperties(random, nowMs);
  }
}

/** A few properties a person would edit (the random mutator's updates). */
export function fakeEdit(collection: HubSpotCollection, random: Random): PropertyValues {
  switch (collection) {
    case 'contact':
      return random.chance(0.5)
        ? { lifecyclestage: random.pick(LIFECYCLE_STAGES), hs_lead_status: random.pick(LEAD_STATUSES) }
        : { jobtitle: random.pick(JOB_TITLES), phone: fakePerson(random).phone };
    case 'company':
      return random.chance(0.5) ? { numberofemployees: String(random.int(1, 20_000)) } : { lifecyclestage: random.pick(LIFECYCLE_STAGES), type: random.pick(COMPANY_TYPES) };
    case 'deal':
      return random.chance(0.5) ? { dealstage: random.pick(DEAL_STAGES) } : { amount: String(random.int(5, 2000) * 100), hs_priority: random.pick(PRIORITIES) };
  }
}
